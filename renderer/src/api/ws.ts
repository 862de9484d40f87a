import { ApiCallError, isErrorShape } from './errors'
import { connectionState, type EventSink, type Transport } from './transport'

interface Pending {
  method: string
  /** serialized request; dropped once sent */
  frame: string | null
  resolve: (value: unknown) => void
  reject: (err: ApiCallError) => void
}

const BACKOFF_MIN_MS = 500
const BACKOFF_MAX_MS = 10_000
/** close codes with which the server says the token is not accepted */
const UNAUTHORIZED_CODES = new Set([1008, 4401, 4403])

/**
 * Serve mode: JSON messages over one WebSocket. `{id, method, args}` → `{id, result}` or
 * `{id, error}`; server events arrive as `{event, payload}`. Calls made while the socket is down
 * wait for it; calls that were already sent when it dropped fail with `disconnected` (they may or
 * may not have run). The socket reconnects with exponential backoff.
 */
export class WsTransport implements Transport {
  readonly kind = 'ws' as const
  private socket: WebSocket | null = null
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private sink: EventSink = () => {}
  private backoff = BACKOFF_MIN_MS
  private everOpen = false
  /** the server closed the socket saying the token is wrong: stop trying */
  private refused = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private countdown: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly url: string,
    private readonly token: string
  ) {
    connectionState.kind = 'ws'
    this.connect()
  }

  setEventSink(sink: EventSink): void {
    this.sink = sink
  }

  invoke(method: string, args: unknown): Promise<unknown> {
    if (this.refused) {
      return Promise.reject(
        new ApiCallError('unauthorized', 'The access token was not accepted', method)
      )
    }
    const id = this.nextId++
    const frame = JSON.stringify({ id, method, args })
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, frame, resolve, reject })
      this.flush()
    })
  }

  private connect(): void {
    clearTimeout(this.retryTimer)
    clearInterval(this.countdown)
    connectionState.retryIn = 0
    let socket: WebSocket
    try {
      socket = new WebSocket(this.url, ['tapedeck.' + this.token])
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    socket.onopen = () => {
      this.backoff = BACKOFF_MIN_MS
      connectionState.attempts = 0
      connectionState.status = 'open'
      if (this.everOpen) connectionState.generation++
      this.everOpen = true
      this.flush()
    }
    socket.onmessage = (ev: MessageEvent) => this.receive(ev.data)
    let opened = false
    socket.addEventListener('open', () => (opened = true))
    socket.onclose = (ev: CloseEvent) => {
      if (this.socket !== socket) return
      this.socket = null
      this.failSent()
      if (UNAUTHORIZED_CODES.has(ev.code)) {
        connectionState.status = 'unauthorized'
        this.refused = true
        this.failAll(new ApiCallError('unauthorized', 'The access token was not accepted'))
        return
      }
      this.scheduleReconnect()
      // A refused handshake looks like any network failure (code 1006). If the server that
      // served this page still answers HTTP, it is refusing our token (e.g. it was restarted
      // and printed a new address).
      if (!opened) void this.probe()
    }
    // an error is always followed by close, which does the work
    socket.onerror = () => {}
  }

  private async probe(): Promise<void> {
    try {
      const res = await fetch(window.location.origin + '/', { method: 'HEAD', cache: 'no-store' })
      if (
        res.ok &&
        this.socket?.readyState !== WebSocket.OPEN &&
        connectionState.status !== 'open'
      ) {
        connectionState.status = 'unauthorized'
      }
    } catch {
      // the server is down: keep saying "reconnecting"
    }
  }

  private scheduleReconnect(): void {
    if (connectionState.status !== 'unauthorized') {
      connectionState.status = this.everOpen ? 'reconnecting' : 'connecting'
    }
    connectionState.attempts++
    const delay = this.backoff
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS)
    connectionState.retryIn = Math.ceil(delay / 1000)
    this.countdown = setInterval(() => {
      connectionState.retryIn = Math.max(0, connectionState.retryIn - 1)
    }, 1000)
    this.retryTimer = setTimeout(() => this.connect(), delay)
  }

  private flush(): void {
    const socket = this.socket
    if (!socket || socket.readyState !== WebSocket.OPEN) return
    for (const p of this.pending.values()) {
      if (p.frame !== null) {
        socket.send(p.frame)
        p.frame = null
      }
    }
  }

  /** Requests already on the wire when the socket dropped cannot be answered any more. */
  private failSent(): void {
    for (const [id, p] of this.pending) {
      if (p.frame === null) {
        this.pending.delete(id)
        p.reject(
          new ApiCallError(
            'disconnected',
            'Connection to Tapedeck lost before it answered',
            p.method
          )
        )
      }
    }
  }

  private failAll(err: ApiCallError): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id)
      p.reject(new ApiCallError(err.code, err.message, p.method))
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return
    let msg: unknown
    try {
      msg = JSON.parse(data)
    } catch {
      return
    }
    if (typeof msg !== 'object' || msg === null) return
    const m = msg as {
      id?: unknown
      result?: unknown
      error?: unknown
      event?: unknown
      payload?: unknown
    }
    if (typeof m.event === 'string') {
      this.sink(m.event, m.payload)
      return
    }
    if (typeof m.id !== 'number') return
    const p = this.pending.get(m.id)
    if (!p) return
    this.pending.delete(m.id)
    if (m.error !== undefined) {
      if (isErrorShape(m.error)) p.reject(new ApiCallError(m.error.code, m.error.message, p.method))
      else p.reject(new ApiCallError('internal', `malformed error from ${p.method}`, p.method))
    } else {
      p.resolve(m.result === undefined ? null : m.result)
    }
  }
}

export function serveSocketUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${window.location.host}/api`
}
