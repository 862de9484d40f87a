import { crc32 } from 'node:zlib'
import { FormatError } from './format-error'
import { sameMagic } from './magics'

/**
 * Just enough of PBS's DataBlob format (chunks and `.blob` files) for the tape layer: recognise the
 * four blob kinds and verify the CRC that chunk archives rely on. Decompression and decryption are
 * the datastore's business.
 *
 * Layout: magic(8) | crc32 LE(4) [| iv(16) | tag(16) for encrypted] | payload.
 * The CRC (IEEE, as crc32fast) covers everything after the *whole* header, i.e. after 12 bytes for
 * plain blobs and after 44 bytes for encrypted ones.
 */

const m = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)

/** "Proxmox Backup uncompressed blob v1.0" */
export const UNCOMPRESSED_BLOB_MAGIC_1_0 = m(0x42, 0xab, 0x38, 0x07, 0xbe, 0x83, 0x70, 0xa1)
/** "Proxmox Backup zstd compressed blob v1.0" */
export const COMPRESSED_BLOB_MAGIC_1_0 = m(0x31, 0xb9, 0x58, 0x42, 0x6f, 0xb6, 0xa3, 0x7f)
/** "Proxmox Backup encrypted blob v1.0" */
export const ENCRYPTED_BLOB_MAGIC_1_0 = m(0x7b, 0x67, 0x85, 0xbe, 0x22, 0x2d, 0x4c, 0xf0)
/** "Proxmox Backup zstd compressed encrypted blob v1.0" */
export const ENCR_COMPR_BLOB_MAGIC_1_0 = m(0xe6, 0x59, 0x1b, 0xbf, 0x0b, 0xbf, 0xd8, 0x0b)

export const DATA_BLOB_HEADER_SIZE = 12
export const ENCRYPTED_DATA_BLOB_HEADER_SIZE = 44
/** PBS refuses to encode blobs with more than 128 MiB of data. */
export const MAX_BLOB_SIZE = 128 * 1024 * 1024

export type BlobKind = 'uncompressed' | 'compressed' | 'encrypted' | 'encrypted-compressed'

export function blobKind(raw: Uint8Array): BlobKind | undefined {
  if (raw.length < 8) return undefined
  const magic = raw.subarray(0, 8)
  if (sameMagic(magic, UNCOMPRESSED_BLOB_MAGIC_1_0)) return 'uncompressed'
  if (sameMagic(magic, COMPRESSED_BLOB_MAGIC_1_0)) return 'compressed'
  if (sameMagic(magic, ENCRYPTED_BLOB_MAGIC_1_0)) return 'encrypted'
  if (sameMagic(magic, ENCR_COMPR_BLOB_MAGIC_1_0)) return 'encrypted-compressed'
  return undefined
}

export function blobHeaderSize(kind: BlobKind): number {
  return kind === 'encrypted' || kind === 'encrypted-compressed'
    ? ENCRYPTED_DATA_BLOB_HEADER_SIZE
    : DATA_BLOB_HEADER_SIZE
}

/** CRC32 (IEEE) over the part of the blob the stored CRC covers. */
export function computeBlobCrc(raw: Uint8Array, kind: BlobKind): number {
  return crc32(raw.subarray(blobHeaderSize(kind))) >>> 0
}

/** Stores the right CRC into a blob's header (used when building blobs, e.g. in tests). */
export function sealBlobCrc(raw: Uint8Array): void {
  const kind = checkBlobStructure(raw)
  new DataView(raw.buffer, raw.byteOffset, 12).setUint32(8, computeBlobCrc(raw, kind), true)
}

/** PBS `DataBlob::from_raw`: known magic and long enough for its header. Returns the kind. */
export function checkBlobStructure(raw: Uint8Array): BlobKind {
  if (raw.length < DATA_BLOB_HEADER_SIZE) {
    throw new FormatError(`blob too small (${raw.length} bytes).`)
  }
  const kind = blobKind(raw)
  if (kind === undefined) throw new FormatError('unable to parse raw blob - wrong magic')
  if (raw.length < blobHeaderSize(kind)) {
    throw new FormatError(`encrypted blob too small (${raw.length} bytes).`)
  }
  return kind
}

/** PBS `from_raw` + `verify_crc`: throws a FormatError unless the blob is intact. */
export function verifyDataBlob(raw: Uint8Array): BlobKind {
  const kind = checkBlobStructure(raw)
  const stored = new DataView(raw.buffer, raw.byteOffset, 12).getUint32(8, true)
  if (computeBlobCrc(raw, kind) !== stored) {
    throw new FormatError('Data blob has wrong CRC checksum.')
  }
  return kind
}
