import type { BlockSink } from './block-io'
import type { BlockedReader } from './blocked-reader'
import { BlockedWriter } from './blocked-writer'
import {
  LABEL_HEADER_DATA_MAX,
  type MediaContentHeader,
  type NewHeaderOptions,
  checkContentHeader,
  readContentHeader,
  readHeaderData,
  writeContentHeader
} from './content-header'
import { FormatError } from './format-error'
import { JsonFields } from './json-fields'
import { MEDIA_SET_LABEL_MAGIC_1_0 } from './magics'
import { isPlainObject, parseJsonBytes, prettyJson, utf8 } from './pretty-json'
import { NIL_UUID, normalizeUuid } from './uuid-bytes'

/** File 1 of a tape that belongs to a media set. */
export interface MediaSetLabel {
  pool: string
  /** Media-set UUID; the all-zero UUID means "no media set" (old PBS pool reservation). */
  uuid: string
  /** 0-based position of this tape in the set. */
  seqNr: number
  /** When the tape joined the set, epoch seconds (the set's start time is seq 0's ctime). */
  ctime: number
  /** `aa:bb:…` SHA-256 fingerprint of the pool's encryption key, when the set is encrypted. */
  encryptionKeyFingerprint?: string
}

/** The raw `key-config` object stored beside an encrypted set's label (a PBS KeyConfig). */
export type KeyConfigJson = Record<string, unknown>

const FINGERPRINT_RE = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){31}$/

export function isUnassignedMediaSet(label: MediaSetLabel): boolean {
  return label.uuid === NIL_UUID
}

/**
 * The label JSON as PBS writes it: sorted keys (serialised via a JSON value), pretty-printed, the
 * KeyConfig under the kebab-case key `key-config` (its own keys sorted too) only when the set is
 * encrypted.
 */
export function mediaSetLabelJson(label: MediaSetLabel, keyConfig?: KeyConfigJson): string {
  const fp = label.encryptionKeyFingerprint
  if (fp !== undefined && !FINGERPRINT_RE.test(fp)) {
    throw new RangeError(`invalid encryption key fingerprint ${JSON.stringify(fp)}`)
  }
  if (fp !== undefined && keyConfig === undefined) {
    throw new RangeError('missing encryption key config')
  }
  if (fp === undefined && keyConfig !== undefined) {
    throw new RangeError('key config given for a media set without encryption key fingerprint')
  }
  if (!Number.isSafeInteger(label.seqNr) || label.seqNr < 0) {
    throw new RangeError(`invalid media set sequence number ${label.seqNr}`)
  }
  return prettyJson(
    {
      pool: label.pool,
      uuid: normalizeUuid(label.uuid, 'media set uuid'),
      seq_nr: label.seqNr,
      ctime: label.ctime,
      encryption_key_fingerprint: fp?.toLowerCase(),
      'key-config': keyConfig
    },
    { sortKeys: true }
  )
}

/** Parses set label JSON, keeping `key-config` aside (its validation is the key store's job). */
export function parseMediaSetLabel(data: Uint8Array): {
  label: MediaSetLabel
  keyConfig?: KeyConfigJson
} {
  const value = parseJsonBytes(data, 'media set label')
  const f = new JsonFields(value, 'media set label')
  const label: MediaSetLabel = {
    pool: f.string('pool'),
    uuid: normalizeUuid(f.string('uuid'), 'media set uuid'),
    seqNr: f.integer('seq_nr', 0),
    ctime: f.integer('ctime')
  }
  const fp = f.optionalString('encryption_key_fingerprint')
  if (fp !== undefined) {
    if (!FINGERPRINT_RE.test(fp)) {
      throw new FormatError(
        `media set label: invalid encryption_key_fingerprint ${JSON.stringify(fp)}`
      )
    }
    label.encryptionKeyFingerprint = fp.toLowerCase()
  }
  if (!f.has('key-config')) return { label }
  const keyConfig = (value as Record<string, unknown>)['key-config']
  if (!isPlainObject(keyConfig))
    throw new FormatError('media set label: key-config must be an object')
  return { label, keyConfig }
}

/** Writes file 1 (content header + set label JSON, END_OF_STREAM, filemark). */
export async function writeMediaSetLabelFile(
  sink: BlockSink,
  label: MediaSetLabel,
  keyConfig?: KeyConfigJson,
  options: NewHeaderOptions = {}
): Promise<MediaContentHeader> {
  const json = mediaSetLabelJson(label, keyConfig)
  const writer = new BlockedWriter(sink)
  const { header } = await writeContentHeader(
    writer,
    MEDIA_SET_LABEL_MAGIC_1_0,
    utf8(json),
    options
  )
  await writer.finish(false)
  return header
}

/** Reads the media-set label from an opened tape file; nothing may follow the JSON. */
export async function readMediaSetLabelFile(reader: BlockedReader): Promise<{
  label: MediaSetLabel
  keyConfig?: KeyConfigJson
  header: MediaContentHeader
}> {
  const header = await readContentHeader(reader)
  checkContentHeader(header, MEDIA_SET_LABEL_MAGIC_1_0, 1, LABEL_HEADER_DATA_MAX)
  const parsed = parseMediaSetLabel(await readHeaderData(reader, header))
  if ((await reader.skipToEnd()) !== 0) {
    throw new FormatError('got unexpected data after media set label')
  }
  return { ...parsed, header }
}
