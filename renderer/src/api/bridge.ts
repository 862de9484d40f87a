/**
 * `window.tapedeck`, as exposed by the preload (Electron only). Only this folder reads it.
 */
import type { TapedeckBridge } from '../../../preload/bridge'

export type { TapedeckBridge }

export function getBridge(): TapedeckBridge | undefined {
  const w = window as unknown as { tapedeck?: TapedeckBridge }
  return w.tapedeck
}
