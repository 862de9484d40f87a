import type { BlockedReader } from './blocked-reader'
import { CHUNK_ENTRY_HEADER_SIZE, decodeChunkEntryHeader } from './chunk-archive-entry'
import {
  ARCHIVE_HEADER_DATA_MAX,
  type MediaContentHeader,
  checkHeaderDataSize,
  readContentHeader,
  readHeaderData
} from './content-header'
import { verifyDataBlob } from './data-blob'
import { FormatError, IncompleteArchiveError } from './format-error'
import { JsonFields } from './json-fields'
import { CHUNK_ARCHIVE_MAGIC_1_0, CHUNK_ARCHIVE_MAGIC_1_1, sameMagic } from './magics'
import { parseJsonBytes } from './pretty-json'

export interface ChunkArchiveEntry {
  /** SHA-256 chunk id from the entry header (not verifiable here for encrypted chunks). */
  digest: Uint8Array
  /** The raw DataBlob exactly as it is stored in `.chunks`; its CRC has been verified (unless `checkCrc: false`). */
  blob: Uint8Array
}

export interface ChunkArchiveReaderOptions {
  /**
   * Check each blob's CRC (default). A caller that checks blobs itself (a restore verifying on
   * worker threads) turns it off, and then also sees a damaged blob instead of an error that
   * ends the archive.
   */
  checkCrc?: boolean
  /**
   * Where blobs are read into (a buffer pool); default a new buffer for each. `alignment` is the
   * address modulo 8 of the bytes about to be copied in (see BufferPool.take).
   */
  allocate?: (size: number, alignment: number) => Uint8Array
}

/** Blobs up to this size are read in one piece into an allocated buffer. */
const SINGLE_READ_MAX = 16 * 1024 * 1024 + 1024

/** Reads a chunk archive entry by entry, verifying every blob's CRC. */
export class ChunkArchiveReader {
  private ended = false
  private cut = false

  private constructor(
    private readonly reader: BlockedReader,
    readonly header: MediaContentHeader,
    readonly store: string,
    private readonly checkCrc: boolean,
    private readonly allocate: (size: number, alignment: number) => Uint8Array
  ) {}

  /** Reads the content header itself and checks that this file is a chunk archive. */
  static async open(
    reader: BlockedReader,
    options?: ChunkArchiveReaderOptions
  ): Promise<ChunkArchiveReader> {
    return ChunkArchiveReader.fromHeader(reader, await readContentHeader(reader), options)
  }

  /** Continues after a content header the caller already read (e.g. while scanning a tape). */
  static async fromHeader(
    reader: BlockedReader,
    header: MediaContentHeader,
    { checkCrc = true, allocate = (size) => new Uint8Array(size) }: ChunkArchiveReaderOptions = {}
  ): Promise<ChunkArchiveReader> {
    if (sameMagic(header.contentMagic, CHUNK_ARCHIVE_MAGIC_1_0)) {
      throw new FormatError('unexpected chunk archive version (v1.0)')
    }
    if (!sameMagic(header.contentMagic, CHUNK_ARCHIVE_MAGIC_1_1)) {
      throw new FormatError('not a chunk archive (wrong content magic)')
    }
    checkHeaderDataSize(header, 1, ARCHIVE_HEADER_DATA_MAX)
    const json = parseJsonBytes(await readHeaderData(reader, header), 'chunk archive header')
    const store = new JsonFields(json, 'chunk archive header').string('store')
    return new ChunkArchiveReader(reader, header, store, checkCrc, allocate)
  }

  get contentUuid(): string {
    return this.header.uuid
  }

  /**
   * True when the archive ended inside a blob: the writer was closed at LEOM mid-chunk. That
   * chunk is not returned (it was rewritten on the next tape).
   */
  get truncated(): boolean {
    return this.cut
  }

  /**
   * The next entry, or null at the end of the archive.
   *
   * As in PBS's restore, an error in a stream that turns out to be marked INCOMPLETE or to have no
   * end marker (aborted write) is raised as an IncompleteArchiveError: PBS keeps the chunks read
   * before it in the first case and registers nothing in the second.
   */
  async next(): Promise<ChunkArchiveEntry | null> {
    try {
      return await this.nextEntry()
    } catch (err) {
      if (!(err instanceof IncompleteArchiveError) && this.reader.atEnd) {
        if (!this.reader.hasEndMarker()) {
          throw new IncompleteArchiveError(
            `chunk archive has no end marker (aborted write): ${(err as Error).message}`,
            'no-end-marker'
          )
        }
        if (this.reader.isIncomplete()) {
          throw new IncompleteArchiveError(
            `chunk archive is marked incomplete: ${(err as Error).message}`,
            'incomplete'
          )
        }
      }
      throw err
    }
  }

  private async nextEntry(): Promise<ChunkArchiveEntry | null> {
    if (this.ended) return null
    const head = new Uint8Array(CHUNK_ENTRY_HEADER_SIZE)
    const got = await this.reader.readFully(head)
    if (got === 0) return this.end(false)
    // PBS's writer always completes an entry header before it can stop at LEOM, and PBS's reader
    // fails on a partial one; so do we.
    if (got !== CHUNK_ENTRY_HEADER_SIZE) {
      throw new FormatError(`chunk archive ends inside an entry header (${got} of 48 bytes)`)
    }
    const { digest, size } = decodeChunkEntryHeader(head)
    // Read in pieces so a large size field on a short stream fails before a large allocation.
    const blob = await this.readBlob(size)
    if (blob === undefined) return this.end(true)
    try {
      if (this.checkCrc) verifyDataBlob(blob)
    } catch (err) {
      throw new FormatError(
        `chunk ${Buffer.from(digest).toString('hex')}: ${(err as Error).message}`
      )
    }
    return { digest, blob }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ChunkArchiveEntry> {
    for (;;) {
      const entry = await this.next()
      if (entry === null) return
      yield entry
    }
  }

  private end(cut: boolean): null {
    this.ended = true
    this.cut = cut
    return null
  }

  private async readBlob(size: number): Promise<Uint8Array | undefined> {
    if (size <= SINGLE_READ_MAX) {
      const blob = this.allocate(size, this.reader.nextByteAlignment)
      return (await this.reader.readFully(blob)) === size ? blob : undefined
    }
    // Larger (legal up to 128 MiB, rare): in pieces, so a damaged size field on a short stream
    // fails before a large allocation.
    const PIECE = 4 * 1024 * 1024
    const pieces: Uint8Array[] = []
    let total = 0
    while (total < size) {
      const piece = new Uint8Array(Math.min(PIECE, size - total))
      const got = await this.reader.readFully(piece)
      pieces.push(got === piece.length ? piece : piece.subarray(0, got))
      total += got
      if (got < piece.length) return undefined
    }
    const blob = new Uint8Array(size)
    let at = 0
    for (const piece of pieces) {
      blob.set(piece, at)
      at += piece.length
    }
    return blob
  }
}
