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
import { MEDIA_LABEL_MAGIC_1_0 } from './magics'
import { parseJsonBytes, prettyJson, utf8 } from './pretty-json'
import { normalizeUuid } from './uuid-bytes'

/** File 0 of every tape: who this tape is. */
export interface MediaLabel {
  /** Media UUID (lowercase, hyphenated). */
  uuid: string
  /** Barcode / label text. */
  labelText: string
  /** Label time, epoch seconds. */
  ctime: number
  /** Pool the tape was labelled for; absent = free tape. */
  pool?: string
}

/**
 * The label JSON as PBS writes it: serde field names (snake_case), serialised via a JSON value so
 * keys come out sorted, pretty-printed; `pool` left out when absent.
 */
export function mediaLabelJson(label: MediaLabel): string {
  return prettyJson(
    {
      uuid: normalizeUuid(label.uuid, 'media label uuid'),
      label_text: label.labelText,
      ctime: label.ctime,
      pool: label.pool
    },
    { sortKeys: true }
  )
}

/** Parses label JSON; tolerant about key order and unknown keys, strict about types. */
export function parseMediaLabel(data: Uint8Array): MediaLabel {
  const f = new JsonFields(parseJsonBytes(data, 'drive label'), 'media label')
  const label: MediaLabel = {
    uuid: normalizeUuid(f.string('uuid'), 'media label uuid'),
    labelText: f.string('label_text'),
    ctime: f.integer('ctime')
  }
  const pool = f.optionalString('pool')
  if (pool !== undefined) label.pool = pool
  return label
}

/** Writes file 0 (content header + label JSON, END_OF_STREAM, filemark) at the sink's position. */
export async function writeMediaLabelFile(
  sink: BlockSink,
  label: MediaLabel,
  options: NewHeaderOptions = {}
): Promise<MediaContentHeader> {
  const writer = new BlockedWriter(sink)
  const { header } = await writeContentHeader(
    writer,
    MEDIA_LABEL_MAGIC_1_0,
    utf8(mediaLabelJson(label)),
    options
  )
  await writer.finish(false)
  return header
}

/**
 * Reads the media label from an opened tape file: right content magic, 1..64 KiB of JSON, and
 * nothing after it.
 */
export async function readMediaLabelFile(
  reader: BlockedReader
): Promise<{ label: MediaLabel; header: MediaContentHeader }> {
  const header = await readContentHeader(reader)
  checkContentHeader(header, MEDIA_LABEL_MAGIC_1_0, 1, LABEL_HEADER_DATA_MAX)
  const label = parseMediaLabel(await readHeaderData(reader, header))
  if ((await reader.skipToEnd()) !== 0) throw new FormatError('got unexpected data after label')
  return { label, header }
}
