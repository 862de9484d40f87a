import { FormatError } from './format-error'

/** PBS uses this all-zero UUID on old "reserved for a pool" tapes: it means "no media set". */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** True for the lowercase hyphenated form PBS writes (and we accept case-insensitively). */
export function isUuid(text: string): boolean {
  return UUID_RE.test(text.toLowerCase())
}

/** Normalises a textual UUID to lowercase, throwing a FormatError naming `what` if malformed. */
export function normalizeUuid(text: unknown, what: string): string {
  if (typeof text !== 'string' || !isUuid(text)) {
    throw new FormatError(`${what} is not a valid UUID: ${JSON.stringify(text)}`)
  }
  return text.toLowerCase()
}

/** 16 raw bytes (as stored in headers and catalogs) from the textual form. */
export function uuidToBytes(text: string): Uint8Array {
  const hex = normalizeUuid(text, 'uuid').replaceAll('-', '')
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** Textual lowercase hyphenated form of 16 raw bytes. */
export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`uuid needs 16 bytes, got ${bytes.length}`)
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
