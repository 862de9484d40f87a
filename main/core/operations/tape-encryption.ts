/**
 * Hardware encryption of media sets (pbs-tape.md §3.5, §6.4, §7.1): which key a drive gets for a
 * set, and the one error every path gives when the key is not in this home's key store. Labels
 * (files 0 and 1) are always written with the key cleared; data files of an encrypted set are
 * written and read with the set's drive key, derived from the pool key and the set UUID.
 *
 * Plain keys go from the key store straight into the drive; nothing here logs them.
 */
import { ApiError } from '../api/errors'
import { serializeKeyConfig } from '../crypto/key-config'
import { mediaSetKey } from '../crypto/media-set-key'
import { TapeKeyStore } from '../crypto/tape-keys'
import type { TapeDriver } from '../devices/tape-driver'
import type { CoreServices } from '../tapedeck'
import type { KeyConfigJson, MediaSetLabel } from '../format/media-set-label'
import { isUnassignedMediaSet } from '../format/media-set-label'

/** The part of the key store this module needs (tests can hand in a stub). */
export type TapeKeys = Pick<TapeKeyStore, 'plainKey' | 'keyConfig'>

export function tapeKeys(core: Pick<CoreServices, 'home' | 'keySealer'>): TapeKeys {
  return new TapeKeyStore(core.home, core.keySealer)
}

/** `what` is encrypted with a key this home does not have. */
export function missingKeyError(what: string, fingerprint: string): ApiError {
  return new ApiError(
    'not-found',
    `${what} is encrypted with key ${fingerprint}, which is not in this home's key store; ` +
      'restore the key with `tapedeck key restore` (--drive with a tape of the set, ' +
      '--key-file, or --key with the paper key) and try again'
  )
}

/** The plain pool key for `fingerprint`, or the missing-key error. */
export async function requirePoolKey(
  keys: TapeKeys,
  fingerprint: string,
  what: string
): Promise<Buffer> {
  const key = await keys.plainKey(fingerprint)
  if (!key) throw missingKeyError(what, fingerprint)
  return key
}

/** What writing an encrypted media set needs, resolved before anything is written. */
export interface SetEncryption {
  fingerprint: string
  /** Password-protected key config for the media-set label (never the plain key). */
  keyConfig: KeyConfigJson
  poolKey: Buffer
}

/**
 * Encryption for a backup into pool `pool` with `encrypt` fingerprint `fingerprint`: undefined for
 * a plain pool; an error naming the fingerprint when the plain key or its config is missing.
 */
export async function poolEncryption(
  keys: TapeKeys,
  pool: string,
  fingerprint: string | undefined
): Promise<SetEncryption | undefined> {
  if (fingerprint === undefined) return undefined
  const what = `media pool '${pool}'`
  const poolKey = await requirePoolKey(keys, fingerprint, what)
  const config = await keys.keyConfig(fingerprint)
  if (!config) {
    throw new ApiError(
      'not-found',
      `${what}: key ${fingerprint} has no password-protected key config to store on tape; ` +
        'import it with `tapedeck key restore --key-file`'
    )
  }
  // The config names its own key: store the full fingerprint the label names too.
  return {
    fingerprint: config.fingerprint ?? fingerprint,
    keyConfig: serializeKeyConfig(config),
    poolKey
  }
}

/** The drive key of an encrypted set, or undefined for a plain set / no set. */
export async function setDriveKey(
  keys: TapeKeys,
  set: MediaSetLabel | undefined,
  what: string
): Promise<Buffer | undefined> {
  const fingerprint = set && !isUnassignedMediaSet(set) ? set.encryptionKeyFingerprint : undefined
  if (fingerprint === undefined) return undefined
  return mediaSetKey(await requirePoolKey(keys, fingerprint, what), set!.uuid)
}

/**
 * Programs the drive to read (or append to) the data files of the tape whose labels were just
 * read (PBS `read_label`): the set's drive key when the set is encrypted, cleared otherwise.
 * Throws the missing-key error, naming the fingerprint, when the key is not in the store.
 */
export async function programDriveForSet(
  driver: TapeDriver,
  keys: TapeKeys,
  set: MediaSetLabel | undefined,
  what: string
): Promise<void> {
  await driver.setEncryption(await setDriveKey(keys, set, what))
}

/**
 * `pool create/update --encrypt FP`: the pool can only write when this home holds the key (plain
 * key for the drive, key config for the labels), named by its full fingerprint as PBS requires.
 */
export async function checkPoolKey(keys: TapeKeys, fingerprint: string | undefined): Promise<void> {
  if (fingerprint === undefined) return
  const plain = await keys.plainKey(fingerprint)
  const config = await keys.keyConfig(fingerprint)
  if (!plain || !config) {
    throw new ApiError(
      'invalid-argument',
      `no tape encryption key ${fingerprint} in this home's key store ` +
        '(create one with `tapedeck key create` or restore it with `tapedeck key restore`)'
    )
  }
  if (config.fingerprint !== undefined && config.fingerprint !== fingerprint.toLowerCase()) {
    throw new ApiError(
      'invalid-argument',
      `give the full fingerprint of the key (${config.fingerprint}), not a prefix`
    )
  }
}
