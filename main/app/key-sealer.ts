/**
 * Electron safeStorage as the core's KeySealer — only where it really encrypts. On Linux without
 * a keyring safeStorage falls back to a hard-coded password ("basic_text"), which would seal
 * nothing; then keys stay in the 0600 file, as for the CLI.
 */
import { safeStorage } from 'electron'
import type { KeySealer } from '../core/crypto/key-sealer'

export function safeStorageSealer(): KeySealer | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined
  let backend = 'platform'
  if (process.platform === 'linux') {
    backend = safeStorage.getSelectedStorageBackend()
    if (backend === 'basic_text' || backend === 'unknown') return undefined
  }
  return {
    description: `Electron safeStorage (${backend})`,
    seal: (plain) => safeStorage.encryptString(plain.toString('hex')),
    open: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'hex')
  }
}
