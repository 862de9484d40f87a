/**
 * The drive key of one media set (PBS `SgTape::set_encryption`, pbs-tape.md §7.1): the pool's
 * 32-byte key stretched with the set's UUID as salt, so every media set of a pool is encrypted
 * under its own key while the pool key alone recovers all of them. The parameters (PBKDF2-SHA256,
 * 10 iterations) are PBS's and must not change: a tape written by either must read in the other.
 */
import { pbkdf2Sync } from 'node:crypto'
import { uuidToBytes } from '../format/uuid-bytes'

const ITERATIONS = 10
const KEY_LENGTH = 32

/** `PBKDF2-HMAC-SHA256(password = pool key, salt = media-set UUID as 16 raw bytes, 10, 32)`. */
export function mediaSetKey(poolKey: Uint8Array, mediaSetUuid: string): Buffer {
  if (poolKey.length !== KEY_LENGTH) {
    throw new RangeError(`tape encryption key must be ${KEY_LENGTH} bytes`)
  }
  return pbkdf2Sync(poolKey, uuidToBytes(mediaSetUuid), ITERATIONS, KEY_LENGTH, 'sha256')
}
