/**
 * Serve mode: the built renderer and the API over a WebSocket, by default on 127.0.0.1 only.
 * Used where Electron is not available, for headless tape servers administered from a browser,
 * and by the end-to-end tests.
 */
import { startScheduler } from '../core/jobs/scheduler'
import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { join, resolve } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { toErrorPayload } from '../core/api/errors'
import type { RpcEvent, RpcRequest, RpcResponse } from '../core/api/contract'
import { openTapedeck, type Tapedeck } from '../core/tapedeck'
import {
  TOKEN_PROTOCOL_PREFIX,
  allowedHosts,
  hostAllowed,
  isLoopback,
  newToken,
  originAllowed,
  tokenFromProtocols,
  tokenMatches
} from './auth'
import { serveStatic } from './static-files'

export const DEFAULT_PORT = 8273

/** Said loudly whenever serve mode listens on something other than loopback. */
export function exposureWarning(host: string, port: number): string[] {
  return [
    '',
    `!!! WARNING: Tapedeck serve mode is listening on ${host}:${port}, not only on this machine.`,
    '!!! Anyone who can reach this address and learns the token can control your tape drives',
    '!!! and datastores. Traffic is NOT encrypted. Prefer the default 127.0.0.1 with an SSH tunnel.',
    ''
  ]
}

export interface ServeOptions {
  home: string
  host?: string
  port?: number
  rendererDir?: string
  /** Where warnings go (default stderr). */
  warn?: (line: string) => void
}

export interface ServeHandle {
  url: string
  port: number
  token: string
  core: Tapedeck
  close(): Promise<void>
}

/** out/renderer next to the bundled out/main, or the build output when running from source. */
function findRendererDir(): string {
  const candidates = [join(__dirname, '../renderer'), resolve(__dirname, '../../out/renderer')]
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')))
  if (!found) throw new Error('the user interface is not built; run `npm run build` first')
  return found
}

function parseRequest(data: string): RpcRequest {
  const msg = JSON.parse(data) as Partial<RpcRequest>
  if (
    typeof msg !== 'object' ||
    msg === null ||
    typeof msg.id !== 'number' ||
    typeof msg.method !== 'string'
  ) {
    throw new Error('malformed request: expected {id, method, args}')
  }
  return msg as RpcRequest
}

function reject(socket: Duplex, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const host = options.host ?? '127.0.0.1'
  const warn = options.warn ?? ((line: string) => process.stderr.write(line + '\n'))
  const rendererDir = resolve(options.rendererDir ?? findRendererDir())
  const token = newToken()
  const core = await openTapedeck({ home: options.home })

  let hosts: Set<string> | null = null
  const http = createServer((req, res) => {
    if (!hostAllowed(req, hosts)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('unknown host')
      return
    }
    serveStatic(rendererDir, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    // Echo the token protocol back; browsers close sockets whose protocol was not accepted.
    handleProtocols: (protocols) =>
      [...protocols].find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX)) ?? false
  })

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path !== '/api') return reject(socket, 404, 'Not Found')
    if (!hostAllowed(req, hosts)) return reject(socket, 421, 'Misdirected Request')
    if (!originAllowed(req)) return reject(socket, 403, 'Forbidden')
    if (!tokenMatches(tokenFromProtocols(req.headers['sec-websocket-protocol']), token)) {
      return reject(socket, 401, 'Unauthorized')
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'binary messages are not supported')
      let request: RpcRequest
      try {
        request = parseRequest(data.toString())
      } catch (err) {
        return ws.close(1007, (err as Error).message.slice(0, 120))
      }
      core.api.call(request.method, request.args).then(
        (result) => send(ws, { id: request.id, result }),
        (err) => send(ws, { id: request.id, error: toErrorPayload(err) })
      )
    })
  })

  const send = (ws: WebSocket, message: RpcResponse | RpcEvent) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
  }
  const unsubscribe = core.events.onAny((event, payload) => {
    for (const client of wss.clients) send(client, { event, payload })
  })
  const stopWatching = core.watchOtherProcesses()

  await new Promise<void>((resolveListen, rejectListen) => {
    http.once('error', rejectListen)
    http.listen(options.port ?? DEFAULT_PORT, host, () => resolveListen())
  }).catch(async (err: NodeJS.ErrnoException) => {
    await core.close()
    if (err.code === 'EADDRINUSE') {
      throw new Error(
        `port ${options.port ?? DEFAULT_PORT} on ${host} is in use; choose another with --port (0 picks a free one)`
      )
    }
    throw err
  })
  const port = (http.address() as AddressInfo).port
  const allAddresses = host === '0.0.0.0' || host === '::'
  hosts = allAddresses ? null : allowedHosts(host, port)

  if (!isLoopback(host)) for (const line of exposureWarning(host, port)) warn(line)

  const scheduler = startScheduler(core, core.runBackupJob)
  const urlHost =
    isLoopback(host) || allAddresses ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${port}/#token=${token}`,
    port,
    token,
    core,
    async close() {
      await scheduler.stop()
      unsubscribe()
      stopWatching()
      for (const client of wss.clients) client.terminate()
      wss.close()
      http.closeAllConnections()
      await new Promise<void>((done) => http.close(() => done()))
      await core.close()
    }
  }
}
