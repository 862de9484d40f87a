import { randomUUID } from 'node:crypto'
import type { BlockedReader } from './blocked-reader'
import type { BlockedWriter } from './blocked-writer'
import { FormatError } from './format-error'
import { CONTENT_HEADER_MAGIC, contentMagicInfo, magicHex, sameMagic } from './magics'
import { bytesToUuid, uuidToBytes } from './uuid-bytes'

/** Packed little-endian header that starts the payload of every tape file. */
export const MEDIA_CONTENT_HEADER_SIZE = 48

/** PBS label readers accept 1..64 KiB of header data. */
export const LABEL_HEADER_DATA_MAX = 64 * 1024
/**
 * PBS reads archive header JSON of any u32 size; we cap it so a damaged size field cannot make us
 * allocate gigabytes. Real headers are a few hundred bytes.
 */
export const ARCHIVE_HEADER_DATA_MAX = 1024 * 1024

export interface MediaContentHeader {
  /** Type of this tape file (see magics.ts). */
  contentMagic: Uint8Array
  /** Random UUID of this archive, recorded in catalogs. */
  uuid: string
  /** Creation time, epoch seconds. */
  ctime: number
  /** Length of the header data (JSON) that follows the 48 bytes. */
  size: number
  /** Multi-volume part number; PBS always writes 0. */
  partNumber: number
}

/**
 * magic(8) | content_magic(8) | uuid(16) | ctime i64(8) | size u32(4) | part_number u8 | reserved(3)
 */
export function encodeMediaContentHeader(h: MediaContentHeader): Uint8Array {
  if (h.contentMagic.length !== 8) throw new RangeError('content magic must be 8 bytes')
  if (!Number.isInteger(h.size) || h.size < 0 || h.size > 0xffffffff) {
    throw new RangeError(`header data size ${h.size} out of range`)
  }
  if (!Number.isSafeInteger(h.ctime)) throw new RangeError(`ctime ${h.ctime} out of range`)
  const out = new Uint8Array(MEDIA_CONTENT_HEADER_SIZE)
  const dv = new DataView(out.buffer)
  out.set(CONTENT_HEADER_MAGIC, 0)
  out.set(h.contentMagic, 8)
  out.set(uuidToBytes(h.uuid), 16)
  dv.setBigInt64(32, BigInt(h.ctime), true)
  dv.setUint32(40, h.size, true)
  out[44] = h.partNumber & 0xff
  return out
}

/** Decodes the 48 bytes; only the leading magic is checked here (see `checkContentHeader`). */
export function decodeMediaContentHeader(bytes: Uint8Array): MediaContentHeader {
  if (bytes.length < MEDIA_CONTENT_HEADER_SIZE) {
    throw new FormatError(`MediaContentHeader: too short (${bytes.length} bytes)`)
  }
  if (!sameMagic(bytes.subarray(0, 8), CONTENT_HEADER_MAGIC)) {
    throw new FormatError('MediaContentHeader: wrong magic')
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, MEDIA_CONTENT_HEADER_SIZE)
  const ctime = dv.getBigInt64(32, true)
  if (ctime > BigInt(Number.MAX_SAFE_INTEGER) || ctime < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FormatError(`MediaContentHeader: ctime ${ctime} out of range`)
  }
  return {
    contentMagic: bytes.slice(8, 16),
    uuid: bytesToUuid(bytes.subarray(16, 32)),
    ctime: Number(ctime),
    size: dv.getUint32(40, true),
    partNumber: bytes[44]
  }
}

/** PBS `MediaContentHeader::check`, with the expected type named in the error. */
export function checkContentHeader(
  h: MediaContentHeader,
  contentMagic: Uint8Array,
  minSize: number,
  maxSize: number
): void {
  if (!sameMagic(h.contentMagic, contentMagic)) {
    const got = contentMagicInfo(h.contentMagic)?.name ?? `unknown ${magicHex(h.contentMagic)}`
    const want = contentMagicInfo(contentMagic)?.name ?? magicHex(contentMagic)
    throw new FormatError(`MediaContentHeader: wrong content magic (${got}, expected ${want})`)
  }
  checkHeaderDataSize(h, minSize, maxSize)
}

export function checkHeaderDataSize(h: MediaContentHeader, minSize: number, maxSize: number): void {
  if (h.size < minSize || h.size > maxSize) {
    throw new FormatError(
      `MediaContentHeader: got unexpected size ${h.size} (allowed ${minSize}..${maxSize})`
    )
  }
}

export function nowEpoch(): number {
  return Math.floor(Date.now() / 1000)
}

export interface NewHeaderOptions {
  /** Archive UUID; a random one (v4, as PBS) when omitted. */
  uuid?: string
  /** Epoch seconds; now when omitted. */
  ctime?: number
}

/** Writes header + header data to a fresh stream; returns the header and the LEOM flag. */
export async function writeContentHeader(
  writer: BlockedWriter,
  contentMagic: Uint8Array,
  data: Uint8Array,
  options: NewHeaderOptions = {}
): Promise<{ header: MediaContentHeader; leom: boolean }> {
  const header: MediaContentHeader = {
    contentMagic,
    uuid: options.uuid ?? randomUUID(),
    ctime: options.ctime ?? nowEpoch(),
    size: data.length,
    partNumber: 0
  }
  await writer.write(encodeMediaContentHeader(header))
  const leom = data.length > 0 ? await writer.write(data) : writer.leom
  return { header, leom }
}

/** Reads and decodes the 48-byte header at the start of a tape file. */
export async function readContentHeader(reader: BlockedReader): Promise<MediaContentHeader> {
  const bytes = new Uint8Array(MEDIA_CONTENT_HEADER_SIZE)
  const got = await reader.readFully(bytes)
  if (got !== MEDIA_CONTENT_HEADER_SIZE) {
    throw new FormatError(`tape file too short for a MediaContentHeader (${got} bytes)`)
  }
  return decodeMediaContentHeader(bytes)
}

/** Reads the header data (`header.size` bytes) that follows the content header. */
export async function readHeaderData(
  reader: BlockedReader,
  header: MediaContentHeader
): Promise<Uint8Array> {
  return reader.readExact(header.size, 'content header data')
}
