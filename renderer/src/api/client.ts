/**
 * The typed API client: the only way UI code reaches the core. It picks the transport once at
 * startup — Electron IPC when the preload exposed `window.tapedeck`, otherwise the serve-mode
 * WebSocket — and hides it behind `call` and `onEvent`.
 */
import { toRaw } from 'vue'
import type { ApiArgs, ApiEvent, ApiEventPayload, ApiMethod, ApiResult } from './contract'
import { getBridge } from './bridge'
import { ApiCallError } from './errors'
import { IpcTransport } from './ipc'
import { takeTokenFromLocation } from './token'
import { connectionState, type Transport } from './transport'
import { serveSocketUrl, WsTransport } from './ws'

export { ApiCallError } from './errors'

let transport: Transport | null = null
const listeners = new Map<string, Set<(payload: unknown) => void>>()

function dispatch(event: string, payload: unknown): void {
  const set = listeners.get(event)
  if (!set) return
  for (const cb of [...set]) {
    try {
      cb(payload)
    } catch (err) {
      console.error(`listener for ${event} failed`, err)
    }
  }
}

/** Chooses and starts the transport. Call once, before the router reads the address. */
export function initClient(): void {
  if (transport) return
  const bridge = getBridge()
  if (bridge) {
    transport = new IpcTransport(bridge)
  } else {
    const token = takeTokenFromLocation()
    if (token === null) {
      connectionState.kind = 'ws'
      connectionState.status = 'no-token'
      return
    }
    transport = new WsTransport(serveSocketUrl(), token)
  }
  transport.setEventSink(dispatch)
}

/** Deep plain copy: Vue proxies, refs and undefined fields never reach a transport. */
function plain<T>(value: T): T {
  if (value === undefined) return value
  return JSON.parse(JSON.stringify(toRaw(value))) as T
}

export async function call<M extends ApiMethod>(
  method: M,
  args: ApiArgs<M>
): Promise<ApiResult<M>> {
  if (!transport) {
    throw new ApiCallError(
      'unauthorized',
      'Not connected: open the address printed by `tapedeck serve` (it contains the access token)',
      method
    )
  }
  return (await transport.invoke(method, plain(args))) as ApiResult<M>
}

export function onEvent<E extends ApiEvent>(
  event: E,
  cb: (payload: ApiEventPayload<E>) => void
): () => void {
  let set = listeners.get(event)
  if (!set) {
    set = new Set()
    listeners.set(event, set)
  }
  const fn = cb as (payload: unknown) => void
  set.add(fn)
  return () => {
    set.delete(fn)
  }
}

/** True in Electron, where a native folder dialog is available. */
export function canPickDirectory(): boolean {
  return getBridge() !== undefined
}

/** Native folder dialog (Electron only); null when cancelled or unavailable. */
export async function pickDirectory(): Promise<string | null> {
  const bridge = getBridge()
  return bridge ? bridge.pickDirectory() : null
}

/** True in Electron, where paper keys print through the system dialog and save as PDF. */
export function canPrintNatively(): boolean {
  return getBridge() !== undefined
}

/** Electron only: print a key's paper key or save it as PDF (resolves to the PDF's path). */
export async function printPaperKey(request: {
  fingerprint: string
  subject?: string
  to: 'print' | 'pdf'
}): Promise<string | null> {
  const bridge = getBridge()
  if (!bridge) throw new Error('printing through the system dialog needs the desktop app')
  return bridge.printPaperKey(request)
}

/**
 * Electron only: print a label sheet (`sheet`, the labels.preview arguments) or the calibration
 * page at the exact paper size, or save its PDF (resolves to the PDF's path, or null).
 */
export async function printLabels(request: {
  sheet?: ApiArgs<'labels.preview'>
  calibrationPaper?: ApiArgs<'labels.calibration-page'>['paper']
  to: 'print' | 'pdf'
}): Promise<string | null> {
  const bridge = getBridge()
  if (!bridge) throw new Error('printing through the system dialog needs the desktop app')
  return bridge.printLabels(plain(request))
}
