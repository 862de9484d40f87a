/**
 * What the preload exposes to the renderer as `window.tapedeck`. Kept tiny on purpose: one
 * generic API call checked in the main process, one event subscription, one native dialog.
 */
export interface TapedeckBridge {
  invoke(
    method: string,
    args: unknown
  ): Promise<{ result: unknown } | { error: { code: string; message: string } }>
  onEvent(listener: (event: string, payload: unknown) => void): () => void
  pickDirectory(): Promise<string | null>
}

export const IPC_INVOKE = 'tapedeck:invoke'
export const IPC_EVENT = 'tapedeck:event'
export const IPC_PICK_DIRECTORY = 'tapedeck:pick-directory'
