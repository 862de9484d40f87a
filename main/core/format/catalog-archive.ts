import type { BlockSink } from './block-io'
import type { BlockedReader } from './blocked-reader'
import { BlockedWriter } from './blocked-writer'
import {
  ARCHIVE_HEADER_DATA_MAX,
  type MediaContentHeader,
  type NewHeaderOptions,
  checkHeaderDataSize,
  readContentHeader,
  readHeaderData,
  writeContentHeader
} from './content-header'
import { FormatError, IncompleteArchiveError } from './format-error'
import { JsonFields } from './json-fields'
import { CATALOG_ARCHIVE_MAGIC_1_0, CATALOG_ARCHIVE_MAGIC_1_1, sameMagic } from './magics'
import { parseJsonBytes, prettyJson, utf8 } from './pretty-json'
import { normalizeUuid } from './uuid-bytes'

/** Which tape's catalog a catalog archive carries. */
export interface CatalogArchiveHeader {
  /** Media UUID of the tape the catalog describes. */
  uuid: string
  mediaSetUuid: string
  seqNr: number
}

export type CatalogArchiveResult =
  | { complete: true; contentUuid: string }
  /** LEOM before the catalog data: ended INCOMPLETE, retry on the next tape. */
  | { complete: false; contentUuid: string }

/**
 * Writes a catalog archive: MediaContentHeader (v1.1 when the job used namespaces, else v1.0) with
 * `{"uuid", "media_set_uuid", "seq_nr"}` in that order, then the raw bytes of the binary media
 * catalog.
 *
 * Like PBS (`tape_write_catalog`): LEOM already during the header ends the file INCOMPLETE; once the
 * data started, the (small) catalog is written out completely even past the early warning.
 */
export async function writeCatalogArchive(
  sink: BlockSink,
  header: CatalogArchiveHeader,
  catalog: Uint8Array | AsyncIterable<Uint8Array>,
  options: NewHeaderOptions & { namespaces: boolean }
): Promise<CatalogArchiveResult> {
  const json = prettyJson(
    {
      uuid: normalizeUuid(header.uuid, 'catalog media uuid'),
      media_set_uuid: normalizeUuid(header.mediaSetUuid, 'catalog media set uuid'),
      seq_nr: header.seqNr
    },
    { sortKeys: false }
  )
  const magic = options.namespaces ? CATALOG_ARCHIVE_MAGIC_1_1 : CATALOG_ARCHIVE_MAGIC_1_0
  const writer = new BlockedWriter(sink)
  try {
    const written = await writeContentHeader(writer, magic, utf8(json), options)
    const contentUuid = written.header.uuid
    if (written.leom) {
      await writer.finish(true)
      return { complete: false, contentUuid }
    }
    for await (const piece of catalog instanceof Uint8Array ? [catalog] : catalog) {
      await writer.write(piece)
    }
    await writer.finish(false)
    return { complete: true, contentUuid }
  } catch (err) {
    await writer.abort().catch(() => undefined)
    throw err
  }
}

/** Reads a catalog archive's header; the catalog bytes follow via `data()` / `readAll()`. */
export class CatalogArchiveReader {
  private constructor(
    private readonly reader: BlockedReader,
    readonly header: MediaContentHeader,
    readonly catalog: CatalogArchiveHeader,
    /** v1.1: written by a job that used namespaces. */
    readonly namespaces: boolean
  ) {}

  static async open(reader: BlockedReader): Promise<CatalogArchiveReader> {
    return CatalogArchiveReader.fromHeader(reader, await readContentHeader(reader))
  }

  static async fromHeader(
    reader: BlockedReader,
    header: MediaContentHeader
  ): Promise<CatalogArchiveReader> {
    const v10 = sameMagic(header.contentMagic, CATALOG_ARCHIVE_MAGIC_1_0)
    if (!v10 && !sameMagic(header.contentMagic, CATALOG_ARCHIVE_MAGIC_1_1)) {
      throw new FormatError('not a catalog archive (wrong content magic)')
    }
    checkHeaderDataSize(header, 1, ARCHIVE_HEADER_DATA_MAX)
    const json = parseJsonBytes(await readHeaderData(reader, header), 'catalog archive header')
    const f = new JsonFields(json, 'catalog archive header')
    const catalog: CatalogArchiveHeader = {
      uuid: normalizeUuid(f.string('uuid'), 'catalog archive uuid'),
      mediaSetUuid: normalizeUuid(f.string('media_set_uuid'), 'catalog archive media_set_uuid'),
      seqNr: f.integer('seq_nr', 0)
    }
    return new CatalogArchiveReader(reader, header, catalog, !v10)
  }

  get contentUuid(): string {
    return this.header.uuid
  }

  /**
   * Streams the catalog bytes (views valid until the next step). Ends with an
   * IncompleteArchiveError when the file was ended INCOMPLETE or has no end marker.
   */
  async *data(): AsyncGenerator<Uint8Array> {
    try {
      yield* this.reader.chunks()
    } catch (err) {
      if (this.reader.atEnd && !this.reader.hasEndMarker()) {
        throw new IncompleteArchiveError(
          'catalog archive has no end marker (aborted write)',
          'no-end-marker'
        )
      }
      throw err
    }
    if (this.reader.isIncomplete()) {
      throw new IncompleteArchiveError(
        'catalog archive is marked incomplete (rewritten on a later tape)',
        'incomplete'
      )
    }
  }

  /** Collects the whole catalog; `maxSize` guards memory against damaged tapes. */
  async readAll(maxSize = 1024 * 1024 * 1024): Promise<Uint8Array> {
    const pieces: Uint8Array[] = []
    let total = 0
    for await (const piece of this.data()) {
      total += piece.length
      if (total > maxSize) throw new FormatError(`catalog archive larger than ${maxSize} bytes`)
      pieces.push(piece.slice())
    }
    const out = new Uint8Array(total)
    let at = 0
    for (const p of pieces) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
}
