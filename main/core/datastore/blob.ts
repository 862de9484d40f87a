/**
 * DataBlob encoding and decoding (chunks and `.blob` files): the four variants PBS writes —
 * plain, zstd, encrypted, encrypted+zstd — with the CRC, the GCM tag and, for chunks, the digest
 * checked on the way out. The magic and CRC layout live in format/data-blob.
 */
import { createHash } from 'node:crypto'
import {
  COMPRESSED_BLOB_MAGIC_1_0,
  DATA_BLOB_HEADER_SIZE,
  ENCR_COMPR_BLOB_MAGIC_1_0,
  ENCRYPTED_BLOB_MAGIC_1_0,
  ENCRYPTED_DATA_BLOB_HEADER_SIZE,
  MAX_BLOB_SIZE,
  UNCOMPRESSED_BLOB_MAGIC_1_0,
  sealBlobCrc,
  verifyDataBlob,
  type BlobKind
} from '../format/data-blob'
import { FormatError } from '../format/format-error'
import { IV_LENGTH, type CryptConfig } from '../crypto/crypt-config'
import { withZstdDecoded, zstdCompress, zstdDecompress } from './zstd'

export interface EncodeOptions {
  compress?: boolean
  crypt?: CryptConfig
  /** Fixed IV for reproducible output (tests, the demo generator); random otherwise. */
  iv?: Uint8Array
}

/** PBS `DataBlob::encode`: compression is kept only when it makes the blob smaller. */
export function encodeBlob(data: Uint8Array, options: EncodeOptions = {}): Buffer {
  if (data.length > MAX_BLOB_SIZE)
    throw new FormatError(`data blob too large (${data.length} bytes).`)
  const compressed = options.compress ? zstdCompress(data) : undefined
  if (options.crypt) {
    const useCompressed = compressed !== undefined && compressed.length < data.length
    const { iv, tag, ciphertext } = options.crypt.encrypt(
      useCompressed ? compressed : data,
      options.iv
    )
    const raw = Buffer.alloc(ENCRYPTED_DATA_BLOB_HEADER_SIZE + ciphertext.length)
    Buffer.from(useCompressed ? ENCR_COMPR_BLOB_MAGIC_1_0 : ENCRYPTED_BLOB_MAGIC_1_0).copy(raw, 0)
    iv.copy(raw, 12)
    tag.copy(raw, 12 + IV_LENGTH)
    ciphertext.copy(raw, ENCRYPTED_DATA_BLOB_HEADER_SIZE)
    sealBlobCrc(raw)
    return raw
  }
  const useCompressed = compressed !== undefined && compressed.length < data.length
  const payload = useCompressed ? compressed : data
  const raw = Buffer.alloc(DATA_BLOB_HEADER_SIZE + payload.length)
  Buffer.from(useCompressed ? COMPRESSED_BLOB_MAGIC_1_0 : UNCOMPRESSED_BLOB_MAGIC_1_0).copy(raw, 0)
  raw.set(payload, DATA_BLOB_HEADER_SIZE)
  sealBlobCrc(raw)
  return raw
}

export interface DecodeOptions {
  crypt?: CryptConfig
  /** Expected decoded length (a chunk's size from its index): checked, and a zstd capacity hint. */
  expectedSize?: number
  /** Expected chunk digest: SHA-256 of the data, keyed with `crypt` for encrypted chunks. */
  digest?: Uint8Array
}

export function isEncryptedKind(kind: BlobKind): boolean {
  return kind === 'encrypted' || kind === 'encrypted-compressed'
}

/** Checks the CRC, decrypts and decompresses, then checks length and digest when given. */
export function decodeBlob(raw: Uint8Array, options: DecodeOptions = {}): Uint8Array {
  return openBlob(raw, options, (data) => data, copyingDecompress)
}

/**
 * The checks of `decodeBlob` without keeping the data: the decoded bytes are hashed where the
 * decoder left them and never copied (verify and restore check every chunk this way). A caller
 * that has already run `verifyDataBlob` passes its result, so the CRC is computed once.
 */
export function checkBlob(
  raw: Uint8Array,
  options: DecodeOptions = {},
  verifiedKind?: BlobKind
): void {
  openBlob(raw, options, () => undefined, withZstdDecoded, verifiedKind)
}

type Decompress = <T>(frame: Uint8Array, use: (data: Uint8Array) => T, expectedSize?: number) => T

const copyingDecompress: Decompress = (frame, use, expectedSize) =>
  use(zstdDecompress(frame, expectedSize))

function openBlob<T>(
  raw: Uint8Array,
  options: DecodeOptions,
  use: (data: Uint8Array) => T,
  decompress: Decompress,
  verifiedKind = verifyDataBlob(raw)
): T {
  const kind = verifiedKind
  const encrypted = isEncryptedKind(kind)
  let payload: Uint8Array
  if (encrypted) {
    if (!options.crypt) throw new FormatError('unable to decrypt blob - missing CryptConfig')
    const iv = raw.subarray(12, 12 + IV_LENGTH)
    const tag = raw.subarray(12 + IV_LENGTH, ENCRYPTED_DATA_BLOB_HEADER_SIZE)
    try {
      payload = options.crypt.decrypt(raw.subarray(ENCRYPTED_DATA_BLOB_HEADER_SIZE), iv, tag)
    } catch {
      throw new FormatError('unable to decrypt blob - wrong key or damaged data')
    }
  } else {
    payload = raw.subarray(DATA_BLOB_HEADER_SIZE)
  }
  const checked = (data: Uint8Array): T => {
    if (options.expectedSize !== undefined && data.length !== options.expectedSize) {
      throw new FormatError(
        `detected chunk with wrong length (${data.length} != ${options.expectedSize})`
      )
    }
    if (options.digest) {
      const actual = encrypted
        ? options.crypt!.computeDigest(data)
        : createHash('sha256').update(data).digest()
      if (!actual.equals(options.digest)) throw new FormatError('detected chunk with wrong digest.')
    }
    return use(data)
  }
  const compressed = kind === 'compressed' || kind === 'encrypted-compressed'
  return compressed ? decompress(payload, checked, options.expectedSize) : checked(payload)
}
