/**
 * Sealing plain tape keys with a secret the platform keeps for the desktop session (Electron
 * safeStorage: Keychain, DPAPI, libsecret/kwallet). The core only sees this interface, so it
 * stays Electron-free; the desktop shell hands an implementation in when the platform really
 * encrypts (never safeStorage's plaintext fallback).
 *
 * A sealed key opens only inside that session: the CLI, `tapedeck serve` and a scheduler outside
 * the app cannot use it, which is the point — and why a key can also be kept in the 0600 file
 * for unattended use (`tapedeck key unseal`).
 */
export interface KeySealer {
  /** Shown to the user, e.g. "Electron safeStorage (gnome_libsecret)". */
  readonly description: string
  seal(plain: Buffer): Buffer
  open(sealed: Buffer): Buffer
}
