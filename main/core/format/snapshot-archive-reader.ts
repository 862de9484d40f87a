import type { BlockedReader } from './blocked-reader'
import {
  ARCHIVE_HEADER_DATA_MAX,
  type MediaContentHeader,
  checkHeaderDataSize,
  readContentHeader,
  readHeaderData
} from './content-header'
import { FormatError, IncompleteArchiveError } from './format-error'
import { JsonFields } from './json-fields'
import {
  SNAPSHOT_ARCHIVE_MAGIC_1_0,
  SNAPSHOT_ARCHIVE_MAGIC_1_1,
  SNAPSHOT_ARCHIVE_MAGIC_1_2,
  sameMagic
} from './magics'
import { type PxarDecodeOptions, PxarDirDecoder, type PxarFileEntry } from './pxar-decoder'
import { parseJsonBytes } from './pretty-json'
import { type SnapshotPath, parseSnapshotPath } from './snapshot-path'

export type SnapshotArchiveEntry = PxarFileEntry

/**
 * Reads a snapshot archive: header `{"snapshot", "store"}` (snapshot path validated), then the
 * snapshot's files from the pxar stream, strictly checked.
 *
 * A file that was ended INCOMPLETE (LEOM while writing) or has no end marker (aborted write) is
 * reported with an `IncompleteArchiveError` — when the pxar data breaks off, and also after a pxar
 * stream that happens to be whole — because PBS never registers such a file and rewrote the
 * snapshot elsewhere. Everything else that is wrong is a plain `FormatError`.
 */
export class SnapshotArchiveReader {
  private constructor(
    private readonly reader: BlockedReader,
    readonly header: MediaContentHeader,
    readonly store: string,
    readonly snapshot: string,
    readonly path: SnapshotPath,
    private readonly options: PxarDecodeOptions
  ) {}

  static async open(
    reader: BlockedReader,
    options: PxarDecodeOptions = {}
  ): Promise<SnapshotArchiveReader> {
    return SnapshotArchiveReader.fromHeader(reader, await readContentHeader(reader), options)
  }

  /** Continues after a content header the caller already read (e.g. while scanning a tape). */
  static async fromHeader(
    reader: BlockedReader,
    header: MediaContentHeader,
    options: PxarDecodeOptions = {}
  ): Promise<SnapshotArchiveReader> {
    if (sameMagic(header.contentMagic, SNAPSHOT_ARCHIVE_MAGIC_1_0)) {
      throw new FormatError('unexpected snapshot archive version (v1.0)')
    }
    if (
      !sameMagic(header.contentMagic, SNAPSHOT_ARCHIVE_MAGIC_1_1) &&
      !sameMagic(header.contentMagic, SNAPSHOT_ARCHIVE_MAGIC_1_2)
    ) {
      throw new FormatError('not a snapshot archive (wrong content magic)')
    }
    checkHeaderDataSize(header, 1, ARCHIVE_HEADER_DATA_MAX)
    const json = parseJsonBytes(await readHeaderData(reader, header), 'snapshot archive header')
    const f = new JsonFields(json, 'snapshot archive header')
    const snapshot = f.string('snapshot')
    const store = f.string('store')
    const path = parseSnapshotPath(snapshot)
    return new SnapshotArchiveReader(reader, header, store, snapshot, path, options)
  }

  get contentUuid(): string {
    return this.header.uuid
  }

  /** Yields every file; throws IncompleteArchiveError/FormatError as described on the class. */
  async *entries(): AsyncGenerator<SnapshotArchiveEntry> {
    const decoder = new PxarDirDecoder(this.reader, this.options)
    try {
      for (;;) {
        const entry = await decoder.next()
        if (entry === null) break
        yield entry
      }
      if (!this.reader.atEnd) await this.reader.skipToEnd()
    } catch (err) {
      throw await this.explain(err)
    }
    if (this.reader.isIncomplete()) {
      throw new IncompleteArchiveError(
        `snapshot archive ${this.snapshot} is marked incomplete (rewritten on a later tape)`,
        'incomplete'
      )
    }
  }

  /** Reads all files into memory. */
  async readAll(): Promise<SnapshotArchiveEntry[]> {
    const out: SnapshotArchiveEntry[] = []
    for await (const e of this.entries()) out.push(e)
    return out
  }

  /**
   * PBS `restore_snapshot_archive`: an error in a stream marked incomplete (or without end marker)
   * is not corruption. Unlike PBS we also skip ahead to the stream's end to find out, so an
   * unfinished file is classified the same wherever its pxar data stops making sense.
   */
  private async explain(err: unknown): Promise<unknown> {
    if (!this.reader.atEnd && !(err instanceof IncompleteArchiveError)) {
      await this.reader.skipData().catch(() => undefined)
    }
    if (this.reader.atEnd) {
      if (!this.reader.hasEndMarker()) return this.noEndMarker()
      if (this.reader.isIncomplete()) {
        return new IncompleteArchiveError(
          `snapshot archive ${this.snapshot} is incomplete (LEOM while writing; rewritten on a later tape)`,
          'incomplete'
        )
      }
    }
    return err
  }

  private noEndMarker(): IncompleteArchiveError {
    return new IncompleteArchiveError(
      `snapshot archive ${this.snapshot} has no end marker (aborted write)`,
      'no-end-marker'
    )
  }
}
