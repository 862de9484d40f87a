import { EventEmitter } from 'node:events'
import type { ApiEvent, ApiEventPayload } from '../api/contract'

export type EventListener = <E extends ApiEvent>(event: E, payload: ApiEventPayload<E>) => void

/** Core → clients events, typed by the API contract. Transports subscribe with `onAny`. */
export class EventBus {
  private readonly emitter = new EventEmitter()

  constructor() {
    // Every connected window and socket subscribes once; the default limit of 10 is too low.
    this.emitter.setMaxListeners(0)
  }

  emit<E extends ApiEvent>(event: E, payload: ApiEventPayload<E>): void {
    this.emitter.emit('event', event, payload)
  }

  onAny(listener: EventListener): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}
