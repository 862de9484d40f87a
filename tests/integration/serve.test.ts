import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startServe, type ServeHandle } from '../../main/serve/server'
import { tempDir } from '../helpers/temp'

let server: ServeHandle
let home: Awaited<ReturnType<typeof tempDir>>
let origin: string

beforeAll(async () => {
  home = await tempDir('tapedeck-serve-')
  const renderer = join(home.path, 'renderer')
  await mkdir(join(renderer, 'assets'), { recursive: true })
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Tapedeck</title>')
  await writeFile(join(renderer, 'assets', 'app.js'), 'console.log(1)')
  await writeFile(join(home.path, 'secret.txt'), 'do not serve')
  server = await startServe({ home: join(home.path, 'home'), port: 0, rendererDir: renderer })
  origin = `http://127.0.0.1:${server.port}`
})

afterAll(async () => {
  await server?.close()
  await home?.remove()
})

type Outcome = { opened: true; ws: WebSocket } | { opened: false; status: number }

function connect(options: {
  token?: string
  origin?: string
  host?: string
  path?: string
}): Promise<Outcome> {
  const protocols = options.token === undefined ? [] : [`tapedeck.${options.token}`]
  const headers: Record<string, string> = {}
  if (options.host) headers.Host = options.host
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${options.path ?? '/api'}`, protocols, {
    origin: options.origin ?? origin,
    headers
  })
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ opened: true, ws }))
    ws.once('unexpected-response', (_req, res) =>
      resolve({ opened: false, status: res.statusCode ?? 0 })
    )
    ws.once('error', () => resolve({ opened: false, status: 0 }))
  })
}

function rpc(
  ws: WebSocket,
  id: number,
  method: string,
  args: unknown
): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString())
      if (msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, method, args }))
  })
}

function httpGet(
  path: string,
  host?: string
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, headers: host ? { Host: host } : {} },
      (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
      }
    )
    req.on('error', reject)
    req.end()
  })
}

describe('serve mode', () => {
  it('prints a loopback URL with the token in the fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`)
    expect(server.token).toMatch(/^[0-9a-f]{48}$/)
  })

  it('refuses a WebSocket without the token, with a wrong token, a foreign Origin or Host', async () => {
    expect(await connect({})).toEqual({ opened: false, status: 401 })
    expect(await connect({ token: 'f'.repeat(48) })).toEqual({ opened: false, status: 401 })
    expect(await connect({ token: server.token, origin: 'http://evil.example' })).toEqual({
      opened: false,
      status: 403
    })
    expect(
      await connect({
        token: server.token,
        host: `evil.example:${server.port}`,
        origin: `http://evil.example:${server.port}`
      })
    ).toEqual({
      opened: false,
      status: 421
    })
    expect(await connect({ token: server.token, path: '/other' })).toEqual({
      opened: false,
      status: 404
    })
  })

  it('answers API calls over an authenticated socket and pushes events', async () => {
    const outcome = await connect({ token: server.token })
    if (!outcome.opened) throw new Error(`connection refused: ${outcome.status}`)
    const ws = outcome.ws
    const events: unknown[] = []
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString())
      if (msg.event) events.push(msg)
    })
    expect(
      await rpc(ws, 1, 'pool.create', {
        name: 'daily',
        allocation: 'mon..fri 22:00',
        retention: '2 weeks'
      })
    ).toEqual({ id: 1, result: null })
    expect(await rpc(ws, 2, 'pool.list', {})).toEqual({
      id: 2,
      result: [{ name: 'daily', allocation: 'mon..fri 22:00', retention: '2 weeks' }]
    })
    expect(await rpc(ws, 3, 'no.such.method', {})).toEqual({
      id: 3,
      error: { code: 'unknown-method', message: "unknown API method 'no.such.method'" }
    })
    const bad = await rpc(ws, 4, 'pool.create', { name: 'x', colour: 1 })
    expect(bad.error).toMatchObject({ code: 'invalid-argument' })
    expect(await readFile(join(home.path, 'home', 'media-pool.cfg'), 'utf8')).toBe(
      'pool: daily\n\tallocation mon..fri 22:00\n\tretention 2 weeks\n'
    )
    expect(events).toContainEqual({ event: 'config.changed', payload: { file: 'media-pool.cfg' } })
    ws.close()
  })

  it('closes a socket that sends something other than a request', async () => {
    const outcome = await connect({ token: server.token })
    if (!outcome.opened) throw new Error('connection refused')
    const code = await new Promise<number>((resolve) => {
      outcome.ws.once('close', (c) => resolve(c))
      outcome.ws.send('{"hello":')
    })
    expect(code).toBe(1007)
  })

  it('serves the renderer with security headers, and nothing outside it', async () => {
    const index = await httpGet('/')
    expect(index.status).toBe(200)
    expect(index.body).toContain('<title>Tapedeck</title>')
    expect(index.headers['content-security-policy']).toContain("default-src 'self'")
    expect(index.headers['cache-control']).toBe('no-cache')
    expect((await httpGet('/assets/app.js')).status).toBe(200)
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt'
    ]) {
      const res = await httpGet(path)
      expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(res.body, path).not.toContain('do not serve')
    }
    expect((await httpGet('/missing.js')).status).toBe(404)
    expect((await httpGet('/', `evil.example:${server.port}`)).status).toBe(421)
  })
})
