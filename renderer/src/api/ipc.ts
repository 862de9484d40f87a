import type { TapedeckBridge } from './bridge'
import { ApiCallError, isErrorShape } from './errors'
import { connectionState, type EventSink, type Transport } from './transport'

/** Electron: every call goes through the preload's single `invoke`. */
export class IpcTransport implements Transport {
  readonly kind = 'ipc' as const
  private unsubscribe: (() => void) | undefined

  constructor(private readonly bridge: TapedeckBridge) {
    connectionState.kind = 'ipc'
    connectionState.status = 'open'
  }

  async invoke(method: string, args: unknown): Promise<unknown> {
    let reply: unknown
    try {
      reply = await this.bridge.invoke(method, args)
    } catch (err) {
      throw new ApiCallError('internal', err instanceof Error ? err.message : String(err), method)
    }
    if (typeof reply === 'object' && reply !== null) {
      if ('error' in reply && isErrorShape(reply.error)) {
        throw new ApiCallError(reply.error.code, reply.error.message, method)
      }
      if ('result' in reply) return reply.result
    }
    throw new ApiCallError('internal', `malformed reply to ${method}`, method)
  }

  setEventSink(sink: EventSink): void {
    this.unsubscribe?.()
    this.unsubscribe = this.bridge.onEvent(sink)
  }
}
