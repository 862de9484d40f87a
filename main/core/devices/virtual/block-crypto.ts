/**
 * The virtual drive's hardware encryption, after an LTO drive's: with a key set, every block is
 * written AES-256-GCM encrypted (fresh random 96-bit IV per block, 16-byte tag); what the drive
 * records beside an encrypted block is that it is encrypted, its IV and tag, and an identifier of
 * the key — never the key. Reading needs the same key: no key or another key fails the way a
 * drive reports it (DATA PROTECT 07/74/01 "unable to decrypt", 07/74/03 "incorrect key") and no
 * plaintext comes out.
 *
 * On disk (see crypt-records.ts) the block itself stays 256 KiB — GCM ciphertext is as long as
 * the plaintext — so the PBS layout and its positional arithmetic are untouched; the per-block
 * records live in a sidecar. This module only seals and opens single blocks.
 */
import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from 'node:crypto'

/** Bytes of one per-block record in the sidecar. */
export const CRYPT_RECORD_SIZE = 64

/**
 * Record layout: 0 kind (0 plain, 1 AES-256-GCM) | 1..3 zero | 4..15 IV | 16..31 tag |
 * 32..63 key id. All-zero = plain, so a sparse gap in the sidecar reads as plain blocks.
 */
const KIND_AES_256_GCM = 1
const IV_AT = 4
const IV_LENGTH = 12
const TAG_AT = 16
const TAG_LENGTH = 16
const KEY_ID_AT = 32
const KEY_ID_LENGTH = 32

/**
 * What tells keys apart on the medium, like the key-associated data a real drive can store: a
 * keyed hash, so the record says "which key" without revealing it.
 */
const KEY_ID_LABEL = 'Tapedeck virtual drive key identifier v1'

export type OpenFailure = 'no-key' | 'wrong-key' | 'integrity'

/** A key programmed into the virtual drive. */
export class DriveKey {
  private readonly key: Buffer
  readonly id: Buffer

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('drive key must be 32 bytes (AES-256)')
    // Own copy: the caller may wipe or reuse its buffer.
    this.key = Buffer.from(key)
    this.id = createHmac('sha256', this.key).update(KEY_ID_LABEL).digest()
  }

  /**
   * Encrypts one block and fills `record` for it. Returns the ciphertext, a fresh buffer the
   * write-behind writes as is, in place of the copy a plain write makes. Synchronous on purpose:
   * WebCrypto's thread-pool AES-GCM measured slower here once the tape file writes share that
   * pool (an extra input copy and a thread hop per 256 KiB block).
   */
  seal(block: Uint8Array, record: Buffer): Buffer {
    record.fill(0)
    record[0] = KIND_AES_256_GCM
    const iv = record.subarray(IV_AT, IV_AT + IV_LENGTH)
    randomFillSync(iv)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const out = cipher.update(block)
    cipher.final() // GCM is a stream mode: nothing is held back
    cipher.getAuthTag().copy(record, TAG_AT)
    this.id.copy(record, KEY_ID_AT)
    return out
  }

  /** Decrypts an encrypted block after checking its tag; undefined when the tag fails. */
  open(block: Uint8Array, record: Uint8Array): Buffer | undefined {
    const decipher = createDecipheriv('aes-256-gcm', this.key, record.subarray(IV_AT, TAG_AT))
    decipher.setAuthTag(record.subarray(TAG_AT, TAG_AT + TAG_LENGTH))
    const out = decipher.update(block)
    try {
      decipher.final()
    } catch {
      out.fill(0) // never hand out unauthenticated plaintext
      return undefined
    }
    return out
  }

  /** Best effort: overwrite the key bytes when the drive forgets it. */
  wipe(): void {
    this.key.fill(0)
  }
}

export function isEncryptedRecord(record: Uint8Array | undefined): boolean {
  return record !== undefined && record[0] === KIND_AES_256_GCM
}

/**
 * The plaintext of a block as a drive in mixed decryption mode returns it: plain blocks as they
 * are, encrypted ones decrypted with `key`, or why that is impossible.
 */
export function openBlock(
  key: DriveKey | undefined,
  block: Uint8Array,
  record: Uint8Array | undefined
): Uint8Array | OpenFailure {
  if (!isEncryptedRecord(record)) return block
  if (!key) return 'no-key'
  const r = record as Uint8Array
  if (!key.id.equals(r.subarray(KEY_ID_AT, KEY_ID_AT + KEY_ID_LENGTH))) return 'wrong-key'
  return key.open(block, r) ?? 'integrity'
}
