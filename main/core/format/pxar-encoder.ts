import { binaryTreeArrayCopy } from './binary-tree-array'
import {
  type GoodbyeItem,
  PXAR_ENTRY,
  PXAR_FILENAME,
  PXAR_GOODBYE,
  PXAR_GOODBYE_ITEM_SIZE,
  PXAR_GOODBYE_TAIL_MARKER,
  PXAR_HEADER_SIZE,
  PXAR_PAYLOAD,
  type PxarStat,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
  encodeGoodbyeItems,
  encodeItemHeader,
  encodeStat,
  filenameProblem,
  hashFilename
} from './pxar-format'
import { utf8 } from './pretty-json'

/** File content: one buffer, or pieces produced while writing (e.g. read from disk). */
export type PxarContent = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

/**
 * Encodes a pxar v1 archive of one directory holding regular files, byte for byte as pxar's
 * encoder does for PBS snapshot archives:
 *
 *   ENTRY(root) ( FILENAME ENTRY PAYLOAD )* GOODBYE
 *
 * No FORMAT_VERSION item (v1), no xattrs/ACLs/fcaps. The goodbye table lists one item per file
 * sorted by name hash and permuted into pxar's binary-search-tree array, then a tail item.
 * Entries are written in the order they are added (PBS: manifest first).
 */
export class PxarDirEncoder {
  private position = 0
  private readonly items: GoodbyeItem[] = []
  private readonly names = new Set<string>()
  private started = false
  private finished = false

  /** `output` receives the archive bytes in order; it may throw to abort (e.g. at LEOM). */
  constructor(private readonly output: (data: Uint8Array) => Promise<void>) {}

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.position
  }

  /** Writes the root directory's ENTRY. */
  async start(root: PxarStat): Promise<void> {
    if (this.started) throw new Error('pxar encoder: already started')
    if ((root.mode & S_IFMT) !== S_IFDIR) {
      throw new Error('directory metadata must contain the directory mode flag')
    }
    this.started = true
    await this.item(PXAR_ENTRY, encodeStat(root))
  }

  /**
   * Adds one regular file. `size` is announced in the PAYLOAD header up front, so `content` must
   * deliver exactly that many bytes (an error names the file otherwise, as PBS does).
   */
  async addFile(name: string, stat: PxarStat, size: number, content: PxarContent): Promise<void> {
    if (!this.started || this.finished) throw new Error('pxar encoder: not open')
    if ((stat.mode & S_IFMT) !== S_IFREG) throw new Error(`file '${name}' is not a regular file`)
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`file '${name}': invalid size`)
    const nameBytes = utf8(name)
    const problem = filenameProblem(nameBytes)
    if (problem !== undefined) throw new Error(`${problem}: ${JSON.stringify(name)}`)
    if (this.names.has(name)) throw new Error(`duplicate file name '${name}' in archive`)
    this.names.add(name)

    const fileOffset = this.position
    const filename = new Uint8Array(nameBytes.length + 1) // NUL-terminated
    filename.set(nameBytes)
    await this.item(PXAR_FILENAME, filename)
    await this.item(PXAR_ENTRY, encodeStat(stat))
    await this.write(encodeItemHeader(PXAR_PAYLOAD, size))

    let remaining = size
    for await (const piece of content instanceof Uint8Array ? [content] : content) {
      if (piece.length > remaining) throw new Error(`file '${name}' changed while reading`)
      if (piece.length > 0) await this.write(piece)
      remaining -= piece.length
    }
    if (remaining > 0) throw new Error(`file '${name}' shrunk while reading`)

    this.items.push({
      hash: hashFilename(nameBytes),
      offset: BigInt(fileOffset),
      size: BigInt(this.position - fileOffset)
    })
  }

  /** Writes the goodbye table that ends the root directory (and the archive). */
  async finish(): Promise<void> {
    if (!this.started || this.finished) throw new Error('pxar encoder: not open')
    this.finished = true
    const goodbyeOffset = BigInt(this.position)
    const sorted = [...this.items].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0))
    const table: GoodbyeItem[] = new Array<GoodbyeItem>(sorted.length)
    binaryTreeArrayCopy(sorted.length, (src, dest) => {
      const it = sorted[src]
      // Stored offsets are relative: distance from the GOODBYE item back to the FILENAME.
      table[dest] = { hash: it.hash, offset: goodbyeOffset - it.offset, size: it.size }
    })
    const goodbyeSize = PXAR_HEADER_SIZE + (sorted.length + 1) * PXAR_GOODBYE_ITEM_SIZE
    table.push({
      hash: PXAR_GOODBYE_TAIL_MARKER,
      // Back to the directory's ENTRY, which for the root is at offset 0.
      offset: goodbyeOffset,
      size: BigInt(goodbyeSize)
    })
    await this.item(PXAR_GOODBYE, encodeGoodbyeItems(table))
  }

  private async item(htype: bigint, content: Uint8Array): Promise<void> {
    const buf = new Uint8Array(PXAR_HEADER_SIZE + content.length)
    buf.set(encodeItemHeader(htype, content.length))
    buf.set(content, PXAR_HEADER_SIZE)
    await this.write(buf)
  }

  private async write(data: Uint8Array): Promise<void> {
    await this.output(data)
    this.position += data.length
  }
}

/** Root directory stat PBS uses for snapshot archives: `S_IFDIR | 0664`, owner 0:0, mtime 0. */
export const SNAPSHOT_ROOT_STAT: PxarStat = {
  mode: S_IFDIR | 0o664,
  flags: 0n,
  uid: 0,
  gid: 0,
  mtime: { secs: 0, nanos: 0 }
}
