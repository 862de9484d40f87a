/**
 * PBS CryptConfig: what a 32-byte AES-256-GCM key implies for chunks and blobs — the derived
 * `id_key` that namespaces chunk digests, the keyed digest itself, and the key fingerprint.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from 'node:crypto'

/** SHA-256("Proxmox Backup Encryption Key Fingerprint"): the input the fingerprint digests. */
const FINGERPRINT_INPUT = createHash('sha256')
  .update('Proxmox Backup Encryption Key Fingerprint')
  .digest()

export const KEY_LENGTH = 32
export const IV_LENGTH = 16
export const TAG_LENGTH = 16

export class CryptConfig {
  readonly idKey: Buffer

  constructor(private readonly encKey: Uint8Array) {
    if (encKey.length !== KEY_LENGTH) throw new Error(`encryption key must be ${KEY_LENGTH} bytes`)
    this.idKey = pbkdf2Sync(encKey, '_id_key', 10, KEY_LENGTH, 'sha256')
  }

  /** Chunk digest in this key's namespace: SHA-256(data ‖ id_key). */
  computeDigest(data: Uint8Array): Buffer {
    return createHash('sha256').update(data).update(this.idKey).digest()
  }

  /** The 32-byte key fingerprint (`computeDigest` of a fixed input). */
  fingerprint(): Buffer {
    return this.computeDigest(FINGERPRINT_INPUT)
  }

  /** AES-256-GCM with a 16-byte IV and no additional data, as PBS blobs use it. */
  encrypt(data: Uint8Array, iv: Uint8Array = randomBytes(IV_LENGTH)) {
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv)
    const ciphertext = Buffer.concat([cipher.update(data), cipher.final()])
    return { iv: Buffer.from(iv), tag: cipher.getAuthTag(), ciphertext }
  }

  /** Throws when the tag does not match (wrong key or damaged data). */
  decrypt(ciphertext: Uint8Array, iv: Uint8Array, tag: Uint8Array): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, iv)
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  }
}

/** PBS prints fingerprints as colon-separated hex bytes. */
export function formatFingerprint(fingerprint: Uint8Array): string {
  return Array.from(fingerprint, (b) => b.toString(16).padStart(2, '0')).join(':')
}
