/**
 * A PBS virtual tape drive (`virtual:` section of tape.cfg): a directory in PBS's virtual-tape
 * layout (layout.ts), driven with the semantics of `src/tape/drive/virtual_tape.rs`:
 *
 * - capacity: a tape file started when `used` bytes are on the tape may take
 *   `max(2, ⌊(max-size − used) / 256 KiB⌋)` blocks; every block after that reports the early
 *   warning (LEOM), and the third block past it fails with end of medium (PBS: ENOSPC);
 * - writing at file n deletes files n… and makes n the last file;
 * - `drive-status.json` is rewritten wherever PBS rewrites it: load, eject, rewind, locate, end of
 *   data, format, and when a tape file is opened for reading or writing (then `pos` already names
 *   the file after it, as PBS stores it);
 * - the drive is its own changer (changer.ts): its slots are the tapes in the directory;
 * - no hardware encryption: asking for it is refused before anything is written.
 *
 * Between commands Tapedeck's drive interface works with blocks, which PBS's file-level driver
 * does not have; within a file the position is kept in memory only (a fresh handle starts at the
 * beginning of the file `drive-status.json` names). The handle holds `.drive.lck` while open.
 */
import { constants } from 'node:fs'
import { type FileHandle, open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { acquireFileLock, type FileLock, LockBusyError } from '../../util/file-lock'
import type { DriveStatus, TapeDriver, TapePosition } from '../tape-driver'
import { type DriveErrorCode, VirtualDriveError } from '../virtual/errors'
import { ReadAhead, readAheadBuffers } from '../virtual/read-ahead'
import { VIRTUAL_BLOCK_SIZE as BLOCK } from '../virtual/tape-files'
import { WriteBehind } from '../virtual/write-behind'
import {
  DEFAULT_MAX_SIZE,
  DRIVE_LOCK_FILE,
  checkLabel,
  readDriveStatus,
  readTapeFiles,
  removeTapeFiles,
  tapeExists,
  tapeFilePath,
  writeDriveStatus,
  writeTapeIndex
} from './layout'

export interface PbsVirtualDriveOptions {
  /** Bytes per tape (tape.cfg `max-size`; PBS default 64 MiB). */
  maxSize?: number
  /** How long to wait for `.drive.lck` (PBS: 10 s). */
  lockTimeoutMs?: number
  /** Shown to whoever finds the drive locked. */
  purpose?: string
}

interface Loaded {
  label: string
  /** Files on the tape (`tape-<label>.json`). */
  files: number
}

interface ReadStream {
  kind: 'read'
  fh: FileHandle
  /** Whole blocks in the file. */
  blocks: number
  /** The host file ends with a partial block (not something PBS or Tapedeck writes). */
  partial: boolean
  ahead: ReadAhead
}

interface WriteStream {
  kind: 'write'
  /** The tape file being written; null after a filemark until the next block. */
  fh: FileHandle | null
  /** Bytes of the tape files before the current one (PBS `used_space`). */
  usedBefore: number
  /** Blocks the current file may take before LEOM (PBS EmulateTapeWriter `max_blocks`). */
  maxBlocks: number
  /** fsyncs of files ended by filemarks since the last flush, each resolving to its error. */
  syncing: Promise<unknown>[]
}

/** PBS EmulateTapeWriter: what a new file may use, at least two blocks. */
const maxBlocksFor = (maxSize: number, usedBefore: number) =>
  Math.max(2, Math.floor(Math.max(0, maxSize - usedBefore) / BLOCK))

async function fileSize(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return 0
      throw err
    }
  )
}

export class PbsVirtualDrive implements TapeDriver {
  private tape: Loaded | null = null
  private pos: TapePosition = { file: 0, block: 0 }
  private stream: ReadStream | WriteStream | null = null
  /** The read-ahead buffers, made at the first read and kept for every file after it. */
  private readBuffers: [Buffer, Buffer] | undefined
  private readonly writeBehind = new WriteBehind()
  private closed = false

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly maxSize: number,
    private readonly lock: FileLock
  ) {}

  /** Opens the drive in `dir`, waiting up to 10 s for `.drive.lck` as PBS does. */
  static async open(
    name: string,
    dir: string,
    options: PbsVirtualDriveOptions = {}
  ): Promise<PbsVirtualDrive> {
    const info = await stat(dir).catch(() => undefined)
    if (!info?.isDirectory()) {
      throw new VirtualDriveError(
        name,
        'invalid-argument',
        `${dir} is not a directory (tape.cfg path)`
      )
    }
    let lock: FileLock
    try {
      lock = await acquireFileLock(join(dir, DRIVE_LOCK_FILE), {
        timeoutMs: options.lockTimeoutMs ?? 10_000,
        purpose: options.purpose
      })
    } catch (err) {
      if (!(err instanceof LockBusyError)) throw err
      throw new VirtualDriveError(name, 'invalid-argument', `drive busy: ${err.message}`)
    }
    const drive = new PbsVirtualDrive(name, dir, options.maxSize ?? DEFAULT_MAX_SIZE, lock)
    try {
      const current = await readDriveStatus(dir)
      // A tape deleted from the directory is no longer in the drive (loading another still works).
      if (current && (await tapeExists(dir, current.name))) {
        const files = await readTapeFiles(dir, current.name)
        drive.tape = { label: current.name, files }
        drive.pos = { file: Math.min(current.pos, files), block: 0 }
      }
    } catch (err) {
      await lock.release()
      throw err
    }
    return drive
  }

  /** Label of the tape in the drive, if any. */
  get loadedLabel(): string | undefined {
    return this.tape?.label
  }

  // -------------------------------------------------------------------------------------------
  // Changer side (PBS `MediaChange for VirtualTapeHandle`)

  /** Loads tape `label`, creating it (empty) when the directory has no such tape, as PBS does. */
  async loadTape(label: string): Promise<void> {
    this.assertOpen()
    await this.endStream()
    await this.createTape(label)
    const files = await readTapeFiles(this.dir, label)
    this.tape = { label, files }
    this.pos = { file: 0, block: 0 }
    await writeDriveStatus(this.dir, { name: label, pos: 0 })
  }

  /** A new, empty tape `label` (nothing happens if it exists). */
  async createTape(label: string): Promise<void> {
    this.assertOpen()
    checkLabel(label)
    if (!(await tapeExists(this.dir, label))) await writeTapeIndex(this.dir, label, 0)
  }

  // -------------------------------------------------------------------------------------------
  // TapeDriver

  async status(): Promise<DriveStatus> {
    this.assertOpen()
    if (!this.tape) return { loaded: false, 'alert-flags': [] }
    await this.drainWrites()
    let used = 0
    for (let n = 0; n < this.tape.files; n++) {
      used += await fileSize(tapeFilePath(this.dir, this.tape.label, n))
    }
    return {
      loaded: true,
      'volume-tag': this.tape.label,
      position: { ...this.pos },
      'write-protect': false,
      'alert-flags': [],
      'bytes-used': used,
      capacity: this.maxSize
    }
  }

  /** Nothing waits in a drive's throat here: tapes are loaded by label (`load-media`). */
  async load(): Promise<void> {
    this.assertOpen()
    if (this.tape) return
    throw this.error(
      'no-medium',
      'no tape in the drive; a PBS virtual drive loads tapes by label (load-media LABEL)'
    )
  }

  /** PBS `eject_media`: the drive is empty afterwards (the tape stays in the directory). */
  async eject(): Promise<void> {
    this.assertOpen()
    await this.endStream()
    this.tape = null
    this.pos = { file: 0, block: 0 }
    await writeDriveStatus(this.dir, null)
  }

  async rewind(): Promise<void> {
    await this.ready()
    await this.endStream()
    await this.moveTo({ file: 0, block: 0 })
  }

  async position(): Promise<TapePosition> {
    await this.ready()
    return { ...this.pos }
  }

  async locateFile(file: number): Promise<void> {
    this.checkCount(file, 'file number', 0)
    const t = await this.ready()
    await this.endStream()
    if (file > t.files) {
      await this.moveTo({ file: t.files, block: 0 })
      throw this.error(
        'end-of-data',
        `locate to file ${file} failed: ${t.label} has ${t.files} file(s); positioned at end of data`
      )
    }
    await this.moveTo({ file, block: 0 })
  }

  async moveToEndOfData(): Promise<void> {
    const t = await this.ready()
    await this.endStream()
    await this.moveTo({ file: t.files, block: 0 })
  }

  async spaceFilemarks(count: number): Promise<void> {
    this.checkCount(count, 'filemark count')
    const t = await this.ready()
    await this.endStream()
    if (count === 0) return
    const target = this.pos.file + count
    if (target > t.files) {
      const crossed = t.files - this.pos.file
      await this.moveTo({ file: t.files, block: 0 })
      throw this.error(
        'end-of-data',
        `space forward ${count} filemark(s): end of data after ${crossed}`
      )
    }
    if (target < 0) {
      const crossed = this.pos.file
      await this.moveTo({ file: 0, block: 0 })
      throw this.error(
        'beginning-of-medium',
        `space backward ${-count} filemark(s): beginning of tape after ${crossed}`
      )
    }
    // Forward: just after the last mark crossed; backward: on its beginning-of-tape side.
    await this.moveTo({ file: target, block: count > 0 ? 0 : await this.blocksIn(t, target) })
  }

  async spaceBlocks(count: number): Promise<void> {
    this.checkCount(count, 'block count')
    const t = await this.ready()
    await this.endStream()
    if (count === 0) return
    const { file, block } = this.pos
    if (count > 0) {
      const inFile = file < t.files ? await this.blocksIn(t, file) : 0
      if (block + count <= inFile) return this.moveTo({ file, block: block + count })
      const moved = inFile - block
      if (file < t.files) {
        await this.moveTo({ file: file + 1, block: 0 })
        throw this.error(
          'filemark',
          `space forward ${count} block(s): filemark after ${moved} block(s); positioned after it`
        )
      }
      throw this.error('end-of-data', `space forward ${count} block(s): end of data`)
    }
    if (block + count >= 0) return this.moveTo({ file, block: block + count })
    if (file === 0) {
      await this.moveTo({ file: 0, block: 0 })
      throw this.error(
        'beginning-of-medium',
        `space backward ${-count} block(s): beginning of tape after ${block} block(s)`
      )
    }
    await this.moveTo({ file: file - 1, block: await this.blocksIn(t, file - 1) })
    throw this.error(
      'filemark',
      `space backward ${-count} block(s): filemark after ${block} block(s); positioned before it`
    )
  }

  /** `0` flushes (data on disk when this returns); n ends the current file and adds bare filemarks. */
  async writeFilemarks(count: number): Promise<void> {
    this.checkCount(count, 'filemark count', 0)
    await this.ready()
    if (count === 0) {
      const s = this.stream
      if (s?.kind === 'write') await this.flush(s)
      return
    }
    for (let i = 0; i < count; i++) await this.writeFilemark()
    await this.endStream()
  }

  /** Ends the tape file being written (the next block starts a new one); buffered, like PBS. */
  async writeFilemark(): Promise<void> {
    const s = this.stream
    if (s?.kind === 'write' && s.fh) {
      await this.drainWrites()
      const fh = s.fh
      s.fh = null
      s.syncing.push(
        fh
          .sync()
          .finally(() => fh.close())
          .catch((err: unknown) => err)
      )
      s.usedBefore += this.pos.block * BLOCK
      this.pos = { file: this.pos.file + 1, block: 0 }
      return
    }
    // Not inside a file: the mark is a file of its own (a bare filemark) at the position.
    await this.ready()
    await this.endStream()
    const fh = await this.startFile(this.pos.file, this.pos.block)
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
    this.pos = { file: this.pos.file + 1, block: 0 }
  }

  /** PBS `format_media`: every file of the tape is deleted (fast or not makes no difference). */
  async format(_fast: boolean): Promise<void> {
    const t = await this.ready()
    await this.endStream()
    await writeTapeIndex(this.dir, t.label, 0)
    await removeTapeFiles(this.dir, t.label, 0, t.files)
    t.files = 0
    await this.moveTo({ file: 0, block: 0 })
  }

  /** PBS virtual drives have no encryption: a key is refused, clearing it is fine. */
  async setEncryption(key: Uint8Array | undefined): Promise<void> {
    this.assertOpen()
    if (key === undefined) return
    throw this.error(
      'invalid-argument',
      'a PBS virtual drive cannot encrypt (no hardware encryption); ' +
        'use a pool without encryption or another drive'
    )
  }

  async writeBlock(block: Uint8Array): Promise<{ leom: boolean }> {
    if (block.length !== BLOCK) {
      throw this.error(
        'invalid-argument',
        `a PBS virtual drive stores ${BLOCK}-byte blocks only (got ${block.length} bytes)`
      )
    }
    let s = this.stream
    if (s?.kind !== 'write') s = await this.beginWrite()
    if (!s.fh) {
      s.fh = await this.startFile(this.pos.file, 0)
      s.maxBlocks = maxBlocksFor(this.maxSize, s.usedBefore)
    }
    const t = this.tape as Loaded
    if (this.pos.block >= s.maxBlocks + 2) {
      throw this.error(
        'end-of-medium',
        `end of medium: ${t.label} is full (max-size ${this.maxSize} bytes; ` +
          `file ${this.pos.file} reached ${this.pos.block} blocks); the block was not written`
      )
    }
    try {
      await this.writeBehind.write(s.fh, block, this.pos.block * BLOCK)
    } catch (err) {
      throw this.hostError(err)
    }
    this.pos.block++
    return { leom: this.pos.block > s.maxBlocks }
  }

  async readBlock(): Promise<Uint8Array | 'filemark' | 'end-of-data'> {
    let s = this.stream
    if (s?.kind !== 'read') {
      const t = await this.ready()
      await this.endStream()
      if (this.pos.file >= t.files) return 'end-of-data'
      s = await this.beginRead(t)
    }
    const { file, block } = this.pos
    if (block >= s.blocks) {
      if (s.partial && block === s.blocks) {
        throw this.error(
          'read-error',
          `${tapeFilePath(this.dir, this.tape!.label, file)} ends with a partial block ` +
            `(not a whole number of ${BLOCK}-byte blocks)`
        )
      }
      await this.endStream()
      this.pos = { file: file + 1, block: 0 }
      return 'filemark'
    }
    const data = await s.ahead.block(block)
    if (data.length !== BLOCK) {
      throw this.error('read-error', `tape file ${file} changed while it was read`)
    }
    this.pos.block++
    return data
  }

  /** Ends any stream (written data is on disk) and releases `.drive.lck`. */
  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.endStream()
    } finally {
      this.closed = true
      await this.lock.release()
    }
  }

  // -------------------------------------------------------------------------------------------
  // Streams

  /** PBS `read_next_file`: from now on `drive-status.json` names the file after this one. */
  private async beginRead(t: Loaded): Promise<ReadStream> {
    const { file, block } = this.pos
    const fh = await open(tapeFilePath(this.dir, t.label, file), 'r')
    try {
      const size = (await fh.stat()).size
      const blocks = Math.floor(size / BLOCK)
      await writeDriveStatus(this.dir, { name: t.label, pos: file + 1 })
      const stream: ReadStream = {
        kind: 'read',
        fh,
        blocks,
        partial: size % BLOCK !== 0,
        ahead: new ReadAhead(fh, BLOCK, blocks, (this.readBuffers ??= readAheadBuffers(BLOCK)))
      }
      this.stream = stream
      this.pos = { file, block: Math.min(block, blocks) }
      return stream
    } catch (err) {
      await fh.close()
      throw err
    }
  }

  /** PBS `write_file` at the position: the space the files before it use counts against max-size. */
  private async beginWrite(): Promise<WriteStream> {
    const t = await this.ready()
    await this.endStream()
    const { file, block } = this.pos
    let usedBefore = 0
    for (let n = 0; n < file; n++) usedBefore += await fileSize(tapeFilePath(this.dir, t.label, n))
    const fh = await this.startFile(file, block)
    const stream: WriteStream = {
      kind: 'write',
      fh,
      usedBefore,
      maxBlocks: maxBlocksFor(this.maxSize, usedBefore),
      syncing: []
    }
    this.stream = stream
    return stream
  }

  /**
   * Makes file `file` the last one of the tape, cut after `block` blocks, and opens it: later files
   * are deleted, the index and `drive-status.json` updated in PBS's order.
   */
  private async startFile(file: number, block: number): Promise<FileHandle> {
    const t = this.tape as Loaded
    await removeTapeFiles(this.dir, t.label, file + 1, t.files)
    t.files = file + 1
    await writeTapeIndex(this.dir, t.label, t.files)
    const path = tapeFilePath(this.dir, t.label, file)
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o640)
    try {
      await fh.truncate(block * BLOCK)
    } catch (err) {
      await fh.close()
      throw err
    }
    await writeDriveStatus(this.dir, { name: t.label, pos: file + 1 })
    return fh
  }

  private async drainWrites(): Promise<void> {
    try {
      await this.writeBehind.drain()
    } catch (err) {
      throw this.hostError(err)
    }
  }

  /** Everything written so far is on disk; the stream goes on. */
  private async flush(s: WriteStream): Promise<void> {
    await this.drainWrites()
    const results = await Promise.all([s.fh?.sync().catch((err: unknown) => err), ...s.syncing])
    s.syncing = []
    const failed = results.find((r) => r instanceof Error)
    if (failed) throw this.hostError(failed)
  }

  private async endStream(): Promise<void> {
    const s = this.stream
    if (!s) return
    this.stream = null
    if (s.kind === 'read') {
      await s.ahead.settle()
      return s.fh.close()
    }
    try {
      await this.flush(s)
    } finally {
      await s.fh?.close()
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  /** Moves and records the position as PBS would: the file the next read or write starts at. */
  private async moveTo(to: TapePosition): Promise<void> {
    const t = this.tape as Loaded
    this.pos = { ...to }
    await writeDriveStatus(this.dir, { name: t.label, pos: to.block > 0 ? to.file + 1 : to.file })
  }

  private async blocksIn(t: Loaded, file: number): Promise<number> {
    return Math.floor((await fileSize(tapeFilePath(this.dir, t.label, file))) / BLOCK)
  }

  private async ready(): Promise<Loaded> {
    this.assertOpen()
    if (!this.tape) throw this.error('no-medium', 'drive is empty (no tape loaded)')
    return this.tape
  }

  private checkCount(n: number, what: string, min = -Infinity): void {
    if (!Number.isSafeInteger(n) || n < min) {
      throw this.error('invalid-argument', `${what} must be an integer${min === 0 ? ' >= 0' : ''}`)
    }
  }

  private assertOpen(): void {
    if (this.closed) throw this.error('closed', 'drive handle is closed')
  }

  private hostError(err: unknown): VirtualDriveError {
    return this.error('write-error', `writing to ${this.dir} failed: ${(err as Error).message}`)
  }

  private error(code: DriveErrorCode, message: string): VirtualDriveError {
    return new VirtualDriveError(this.name, code, message)
  }
}
