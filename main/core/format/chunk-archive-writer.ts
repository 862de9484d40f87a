import type { BlockSink } from './block-io'
import { BLOCK_SIZE } from './block-header'
import { BlockedWriter } from './blocked-writer'
import { encodeChunkEntryHeader } from './chunk-archive-entry'
import {
  type MediaContentHeader,
  type NewHeaderOptions,
  writeContentHeader
} from './content-header'
import { CHUNK_ARCHIVE_MAGIC_1_1 } from './magics'
import { prettyJson, utf8 } from './pretty-json'

/** PBS closes a chunk archive once more than this was written (checked after each chunk). */
export const MAX_CHUNK_ARCHIVE_SIZE = 4 * 1024 * 1024 * 1024

/**
 * Writes one chunk archive (one tape file):
 * `MediaContentHeader{store} ( ChunkArchiveEntryHeader | raw DataBlob )*`.
 *
 * Blobs go out in 256 KiB slices and LEOM is checked after each slice. With `closeOnLeom` (the
 * backup case) the archive is finished — *not* marked incomplete — right after the slice that saw
 * the early warning, so the last chunk may be cut off; that chunk is not reported as written and
 * goes into the next archive on the next tape. Readers treat the cut entry as the archive's end.
 */
export class ChunkArchiveWriter {
  private writer: BlockedWriter | undefined
  private readonly written: Uint8Array[] = []
  private closedBytes = 0
  private closedLeom = false

  private constructor(
    writer: BlockedWriter,
    readonly header: MediaContentHeader,
    readonly store: string,
    private readonly closeOnLeom: boolean
  ) {
    this.writer = writer
  }

  /** Starts the archive at the sink's position (writes the content header). */
  static async start(
    sink: BlockSink,
    store: string,
    options: NewHeaderOptions & { closeOnLeom?: boolean } = {}
  ): Promise<ChunkArchiveWriter> {
    const writer = new BlockedWriter(sink)
    // Struct order = the only key; pretty-printed as serde does.
    const json = prettyJson({ store }, { sortKeys: false })
    const { header } = await writeContentHeader(
      writer,
      CHUNK_ARCHIVE_MAGIC_1_1,
      utf8(json),
      options
    )
    return new ChunkArchiveWriter(writer, header, store, options.closeOnLeom ?? true)
  }

  get contentUuid(): string {
    return this.header.uuid
  }

  /** Digests of the chunks completely written, in order (what goes into the media catalog). */
  get chunks(): readonly Uint8Array[] {
    return this.written
  }

  /** True once the archive was closed (by LEOM or `finish`). */
  get closed(): boolean {
    return this.writer === undefined
  }

  /** True once the drive reported the early warning while writing this archive. */
  get leom(): boolean {
    return this.writer === undefined ? this.closedLeom : this.writer.leom
  }

  /** Raw tape bytes of this archive so far (whole blocks), for the 4 GiB limit. */
  get bytesWritten(): number {
    return this.writer?.bytesWritten ?? this.closedBytes
  }

  /**
   * Appends one chunk. Returns true when the chunk is completely in the archive; false when the
   * archive was (or just got) closed at LEOM and the chunk must be written again elsewhere.
   */
  async tryWriteChunk(digest: Uint8Array, blob: Uint8Array): Promise<boolean> {
    const writer = this.writer
    if (writer === undefined) return false
    await writer.write(encodeChunkEntryHeader({ digest, size: blob.length }))
    for (let start = 0; start < blob.length; start += BLOCK_SIZE) {
      const end = Math.min(start + BLOCK_SIZE, blob.length)
      const leom = await writer.write(blob.subarray(start, end))
      if (leom && this.closeOnLeom) {
        await this.close(writer)
        // PBS only counts the chunk when the cut came after its final slice (it uses `>` there
        // and so also drops a chunk whose size is a multiple of 256 KiB; we count it correctly).
        if (end === blob.length) this.written.push(Uint8Array.from(digest))
        return end === blob.length
      }
    }
    this.written.push(Uint8Array.from(digest))
    return true
  }

  /** Ends the archive (END_OF_STREAM + filemark) if still open. Returns true on LEOM or if closed. */
  async finish(): Promise<boolean> {
    const writer = this.writer
    if (writer === undefined) return true
    await this.close(writer)
    return this.closedLeom
  }

  /** Gives up after an error: closes the tape file without end marker (readers skip it). */
  async abort(): Promise<void> {
    const writer = this.writer
    this.writer = undefined
    await writer?.abort()
  }

  private async close(writer: BlockedWriter): Promise<void> {
    this.writer = undefined
    await writer.finish(false)
    this.closedBytes = writer.bytesWritten
    this.closedLeom = writer.leom
  }
}
