import { reactive } from 'vue'

export type EventSink = (event: string, payload: unknown) => void

/** What the typed client needs from a way of reaching the core. */
export interface Transport {
  readonly kind: 'ipc' | 'ws'
  /** Resolves with the method's result, rejects with an ApiCallError. */
  invoke(method: string, args: unknown): Promise<unknown>
  /** Registers the single event sink of the client. */
  setEventSink(sink: EventSink): void
}

export type ConnectionStatus =
  /** first connection attempt under way */
  | 'connecting'
  | 'open'
  /** the connection dropped; retrying with backoff */
  | 'reconnecting'
  /** serve mode without an access token in the address */
  | 'no-token'
  /** the server refused the token */
  | 'unauthorized'

export interface ConnectionState {
  kind: 'ipc' | 'ws' | 'none'
  status: ConnectionStatus
  /** failed attempts since the connection was last open */
  attempts: number
  /** seconds until the next attempt, while reconnecting */
  retryIn: number
  /** increments every time the connection opens again after a loss (stores reload on it) */
  generation: number
}

/** Shared, reactive connection state; the connection store exposes it to components. */
export const connectionState: ConnectionState = reactive({
  kind: 'none',
  status: 'connecting',
  attempts: 0,
  retryIn: 0,
  generation: 0
})
