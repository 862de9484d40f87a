import type { ByteSource } from './blocked-reader'
import { FormatError } from './format-error'
import {
  type GoodbyeItem,
  PXAR_ENTRY,
  PXAR_FILENAME,
  PXAR_GOODBYE,
  PXAR_GOODBYE_ITEM_SIZE,
  PXAR_GOODBYE_TAIL_MARKER,
  PXAR_HEADER_SIZE,
  PXAR_MAX_FILENAME_LEN,
  PXAR_OTHER_TYPES,
  PXAR_PAYLOAD,
  PXAR_STAT_SIZE,
  type PxarStat,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
  decodeGoodbyeItems,
  decodeStat,
  filenameProblem,
  hashFilename,
  pxarTypeName
} from './pxar-format'
import { decodeUtf8 } from './pretty-json'

export interface PxarFileEntry {
  name: string
  /** Full st_mode (S_IFREG | permissions). */
  mode: number
  uid: number
  gid: number
  mtime: { secs: number; nanos: number }
  /** pxar feature flags (0 in PBS archives). */
  flags: bigint
  data: Uint8Array
}

export interface PxarDecodeOptions {
  /** Largest file payload to accept (default 4 GiB - 1, the largest buffer Node can hold). */
  maxFileSize?: number
}

const DEFAULT_MAX_FILE = 2 ** 32 - 1
const READ_PIECE = 4 * 1024 * 1024

/**
 * Decodes the pxar subset PBS writes into snapshot archives (a root directory of regular files,
 * see PxarDirEncoder) and checks it strictly: item sizes, ENTRY → PAYLOAD sequence per file, file
 * names, and the goodbye table (tail item, one item per file with the right hash/offset/size, valid
 * binary-search-tree order), and that nothing follows it. pxar's own sequential decoder skips the
 * goodbye table; checking it here catches damage PBS would only notice on random access.
 */
export class PxarDirDecoder {
  private position = 0
  private rootStat: PxarStat | undefined
  private readonly expected: GoodbyeItem[] = []
  private readonly names = new Set<string>()
  private done = false
  private readonly maxFileSize: number

  constructor(
    private readonly source: ByteSource,
    options: PxarDecodeOptions = {}
  ) {
    this.maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE
  }

  /** Bytes consumed so far. */
  get bytesRead(): number {
    return this.position
  }

  /** The root directory's stat (reads it if needed). */
  async root(): Promise<PxarStat> {
    if (this.rootStat === undefined) {
      const h = await this.header()
      if (h.htype !== PXAR_ENTRY) {
        throw new FormatError(`expected pxar entry of type 'Entry', got: ${pxarTypeName(h.htype)}`)
      }
      const stat = await this.stat(h.size)
      if ((stat.mode & S_IFMT) !== S_IFDIR) throw new FormatError('wrong root entry type')
      this.rootStat = stat
    }
    return this.rootStat
  }

  /** The next file, or null once the goodbye table was read, validated and the stream ended. */
  async next(): Promise<PxarFileEntry | null> {
    if (this.done) return null
    await this.root()
    const fileStart = this.position
    const h = await this.header()
    if (h.htype === PXAR_GOODBYE) {
      await this.goodbye(h.size)
      this.done = true
      return null
    }
    if (h.htype !== PXAR_FILENAME) {
      throw new FormatError(
        `expected filename or directory-goodbye pxar entry, got: ${pxarTypeName(h.htype)}`
      )
    }
    const name = await this.filename(h.size)

    const e = await this.header()
    if (e.htype !== PXAR_ENTRY) {
      throw new FormatError(
        `expected pxar entry of type 'Entry' for '${name}', got: ${pxarTypeName(e.htype)}`
      )
    }
    const stat = await this.stat(e.size)
    if ((stat.mode & S_IFMT) !== S_IFREG) throw new FormatError(`wrong entry type for "/${name}"`)

    const p = await this.header()
    if (p.htype !== PXAR_PAYLOAD) {
      throw new FormatError(
        PXAR_OTHER_TYPES.has(p.htype)
          ? `unsupported pxar item ${pxarTypeName(p.htype)} for '${name}' in snapshot archive`
          : `expected file payload for '${name}', got: ${pxarTypeName(p.htype)}`
      )
    }
    if (p.size > BigInt(this.maxFileSize)) {
      throw new FormatError(`file '${name}' too large (${p.size} bytes)`)
    }
    const data = await this.payload(Number(p.size), name)
    this.expected.push({
      hash: hashFilename(Buffer.from(name, 'utf8')),
      offset: BigInt(fileStart),
      size: BigInt(this.position - fileStart)
    })
    return {
      name,
      mode: stat.mode,
      uid: stat.uid,
      gid: stat.gid,
      mtime: stat.mtime,
      flags: stat.flags,
      data
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PxarFileEntry> {
    for (;;) {
      const entry = await this.next()
      if (entry === null) return
      yield entry
    }
  }

  private async read(length: number, what: string): Promise<Uint8Array> {
    const buf = new Uint8Array(length)
    const got = await this.source.readFully(buf)
    this.position += got
    if (got !== length) throw new FormatError(`unexpected EOF in ${what}`)
    return buf
  }

  private async header(): Promise<{ htype: bigint; size: bigint }> {
    const buf = await this.read(PXAR_HEADER_SIZE, 'pxar archive')
    const dv = new DataView(buf.buffer)
    const htype = dv.getBigUint64(0, true)
    const full = dv.getBigUint64(8, true)
    if (full < BigInt(PXAR_HEADER_SIZE)) {
      throw new FormatError(`invalid ${pxarTypeName(htype)} header - too small (${full})`)
    }
    return { htype, size: full - BigInt(PXAR_HEADER_SIZE) }
  }

  private async stat(size: bigint): Promise<PxarStat> {
    if (size !== BigInt(PXAR_STAT_SIZE)) {
      throw new FormatError(`bad entry size: ${size} (expected ${PXAR_STAT_SIZE})`)
    }
    return decodeStat(await this.read(PXAR_STAT_SIZE, 'pxar entry'))
  }

  private async filename(size: bigint): Promise<string> {
    if (size < 2n || size > BigInt(PXAR_MAX_FILENAME_LEN + 1)) {
      throw new FormatError(`invalid file name size ${size} in pxar archive`)
    }
    const raw = await this.read(Number(size), 'file name')
    if (raw[raw.length - 1] !== 0)
      throw new FormatError('illegal path found (missing terminating zero)')
    const bytes = raw.subarray(0, raw.length - 1)
    const problem = filenameProblem(bytes)
    if (problem !== undefined) throw new FormatError(problem)
    const name = decodeUtf8(bytes, 'pxar file name')
    if (this.names.has(name)) throw new FormatError(`duplicate file name '${name}' in pxar archive`)
    this.names.add(name)
    return name
  }

  /** Reads in pieces so a huge size on a short stream fails before a huge allocation. */
  private async payload(size: number, name: string): Promise<Uint8Array> {
    if (size <= READ_PIECE) return this.read(size, `payload of '${name}'`)
    const pieces: Uint8Array[] = []
    for (let left = size; left > 0; left -= READ_PIECE) {
      pieces.push(await this.read(Math.min(READ_PIECE, left), `payload of '${name}'`))
    }
    const data = new Uint8Array(size)
    let at = 0
    for (const piece of pieces) {
      data.set(piece, at)
      at += piece.length
    }
    return data
  }

  private async goodbye(size: bigint): Promise<void> {
    const n = this.expected.length
    const wantSize = (n + 1) * PXAR_GOODBYE_ITEM_SIZE
    if (size !== BigInt(wantSize)) {
      throw new FormatError(
        `goodbye table has wrong size ${size} (expected ${wantSize} for ${n} files)`
      )
    }
    const goodbyeStart = BigInt(this.position - PXAR_HEADER_SIZE)
    const items = decodeGoodbyeItems(await this.read(wantSize, 'goodbye table'))
    const tail = items.pop() as GoodbyeItem
    if (tail.hash !== PXAR_GOODBYE_TAIL_MARKER)
      throw new FormatError('goodbye table: missing tail marker')
    if (tail.offset !== goodbyeStart) {
      throw new FormatError(`goodbye table: tail offset ${tail.offset} != ${goodbyeStart}`)
    }
    if (tail.size !== BigInt(wantSize + PXAR_HEADER_SIZE)) {
      throw new FormatError(
        `goodbye table: tail size ${tail.size} != ${wantSize + PXAR_HEADER_SIZE}`
      )
    }
    // Same set of (hash, offset, size) as the files we read …
    const key = (it: GoodbyeItem): string => `${it.hash}:${it.offset}:${it.size}`
    const want = new Map<string, number>()
    for (const it of this.expected) {
      const k = key({ hash: it.hash, offset: goodbyeStart - it.offset, size: it.size })
      want.set(k, (want.get(k) ?? 0) + 1)
    }
    for (const it of items) {
      const left = want.get(key(it)) ?? 0
      if (left === 0) {
        throw new FormatError(
          `goodbye table: item (hash ${it.hash.toString(16)}, offset ${it.offset}, size ${it.size}) matches no file`
        )
      }
      want.set(key(it), left - 1)
    }
    // … laid out as a binary search tree (in-order traversal sorted by hash).
    let prev = -1n
    const inOrder = (i: number): void => {
      if (i >= items.length) return
      inOrder(2 * i + 1)
      if (items[i].hash < prev)
        throw new FormatError('goodbye table: items not in search-tree order')
      prev = items[i].hash
      inOrder(2 * i + 2)
    }
    inOrder(0)
    if ((await this.source.readFully(new Uint8Array(1))) !== 0) {
      throw new FormatError('unexpected data after the end of the pxar archive')
    }
  }
}
