/**
 * `key restore --drive`: the password-protected key config that PBS (and Tapedeck) store in the
 * media-set label (file 1) of every encrypted tape, so that a key lost with its server comes back
 * from any tape of the set plus the password (PBS `restore_key`).
 */
import { ApiError } from '../api/errors'
import { parseKeyConfig, type KeyConfig } from '../crypto/key-config'
import type { TapeDriver } from '../devices/tape-driver'
import { BlockedReader } from '../format/blocked-reader'
import { readMediaLabelFile, type MediaLabel } from '../format/media-label'
import { readMediaSetLabelFile, type MediaSetLabel } from '../format/media-set-label'

export interface TapeKeyConfig {
  label: MediaLabel
  mediaSet: MediaSetLabel
  keyConfig: KeyConfig
}

/**
 * Load the cartridge if it only sits in the drive (no-op when it is loaded), read both labels
 * and return the set's key config. Labels are written in clear, so no key is needed to read them.
 */
export async function readKeyConfigFromTape(driver: TapeDriver): Promise<TapeKeyConfig> {
  await driver.load()
  await driver.rewind()
  const first = await BlockedReader.open(driver)
  if (first === 'end-of-data') throw new ApiError('not-found', 'media is empty (no media label)')
  if (first === 'filemark') {
    throw new ApiError('invalid-argument', 'the tape does not start with a media label')
  }
  const { label } = await readMediaLabelFile(first)
  const second = await BlockedReader.open(driver)
  if (second === 'end-of-data' || second === 'filemark') {
    throw new ApiError('not-found', `media '${label.labelText}' is not part of a media set`)
  }
  const { label: mediaSet, keyConfig } = await readMediaSetLabelFile(second)
  await driver.rewind()
  if (keyConfig === undefined) {
    throw new ApiError(
      'not-found',
      `media '${label.labelText}' does not contain an encryption key configuration ` +
        '(its media set is not encrypted)'
    )
  }
  const config = parseKeyConfig(keyConfig, `key config on media '${label.labelText}'`)
  // The label names the key separately; a mismatch means a damaged or forged label.
  const named = mediaSet.encryptionKeyFingerprint
  if (config.fingerprint !== undefined && named !== undefined && named !== config.fingerprint) {
    throw new ApiError(
      'invalid-argument',
      `media '${label.labelText}': media-set label names key ${named} but holds the config of ` +
        `key ${config.fingerprint}`
    )
  }
  return { label, mediaSet, keyConfig: { ...config, fingerprint: config.fingerprint ?? named } }
}
