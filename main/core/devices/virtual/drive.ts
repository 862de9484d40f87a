/**
 * One drive of the virtual library, with the semantics of a real tape drive in variable block
 * mode: a position (file, block), reads that return the next block, `'filemark'` at the end of a
 * file and `'end-of-data'` after the last one, and writes that discard everything after the
 * position they start at.
 *
 * Speed: while a tape file is streamed the drive keeps that file open and touches nothing else —
 * one positioned read or write per block, no state file I/O. Writes go through a small write-behind
 * buffer, as on a real drive, and the filemarks a write stream ends its archives with are buffered
 * too (PBS writes them with the IMMED bit): the stream runs on into the next tape file without
 * syncing anything. `writeFilemarks(0)` flushes (PBS's commit point), and so does every other
 * command; state is persisted there. A crash loses what was written since the last flush and
 * nothing before it. Changes by other processes (robot moves, faults) are noticed at every command
 * and before every streamed block (one synchronous `stat`).
 */
import { constants } from 'node:fs'
import { type FileHandle, open, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { isCleaningTape } from '../media-changer'
import type {
  CartridgeMemoryAttribute,
  DriveStatus,
  TapeDriver,
  TapePosition,
  VolumeStatistics
} from '../tape-driver'
import { DriveKey, type OpenFailure, openBlock } from './block-crypto'
import { CryptRecordWriter, cryptRecordsPath, readCryptRecords, recordOf } from './crypt-records'
import { type DriveErrorCode, VirtualDriveError } from './errors'
import { TapeFaults } from './faults'
import {
  addUsage,
  cartridgeMemoryOf,
  emptyUsage,
  volumeStatisticsOf,
  type CartridgeView
} from './health'
import { driveAlertFlags, threadCartridge, unthreadCartridge } from './mechanics'
import { DATA_MEDIA_TYPES, earlyWarningZone, usableCapacity } from './media'
import type { LibraryState, TimingState } from './schema'
import type { LibraryStore } from './store'
import {
  VIRTUAL_BLOCK_SIZE as BLOCK,
  loadTapeContent,
  removeTapeFilesFrom,
  tapeFilePath,
  writeTapeIndex
} from './tape-files'
import { Pacer, locateMs, sleep } from './timing'
import { ReadAhead, readAheadBuffers } from './read-ahead'
import { WriteBehind } from './write-behind'
import { openForDirectWrite } from '../../util/direct-io'

interface Mount {
  tape: string
  mediaType: string
  capacity: number
  /** Usable bytes (whole blocks): writing beyond is the physical end of medium. */
  usable: number
  /** LEOM is reported once more than this many bytes are used. */
  leomAfter: number
  writeProtect: boolean
  /** Blocks per tape file. */
  blocks: number[]
  /** The last file when it has no filemark yet. */
  openFile: number | null
  used: number
}

interface ReadStream {
  kind: 'read'
  fh: FileHandle
  ahead: ReadAhead
  /** Encryption records of the file (crypt-records.ts); undefined: every block is plain. */
  records: Buffer | undefined
}

interface WriteStream {
  kind: 'write'
  /** The tape file being written; null after a buffered filemark until the next block. */
  fh: FileHandle | null
  /** Encryption records of that file, once it has any (crypt-records.ts). */
  crypt: CryptRecordWriter | null
  /**
   * fsyncs of the tape files ended by buffered filemarks since the last flush: started at the
   * filemark and left running, so the disk writes back while the stream goes on (a flush then
   * finds little left to do). Each resolves to the error it met, if any.
   */
  syncing: Promise<unknown>[]
}

type Stream = ReadStream | WriteStream

export interface VirtualDriveOptions {
  /** Aborts the waits of the timing model (load, rewind, locate, streaming pace). */
  signal?: AbortSignal
}

/**
 * Tape files are written directly to the disk, past the page cache, where the file system allows
 * it: whole 256 KiB blocks at block offsets from aligned buffers (write-behind.ts) fit O_DIRECT.
 */
async function openTapeFileForWriting(path: string, extraFlags = 0): Promise<FileHandle> {
  const flags = constants.O_RDWR | constants.O_CREAT | extraFlags
  return (await openForDirectWrite(path, flags, 0o640)).fh
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const atBot = (p: TapePosition | null) => p !== null && p.file === 0 && p.block === 0

/** Makes a tape file and its encryption records durable (records first), then closes both. */
async function syncAndClose(fh: FileHandle, crypt: CryptRecordWriter | null): Promise<void> {
  try {
    await crypt?.sync()
    await fh.sync()
  } finally {
    await crypt?.close()
    await fh.close()
  }
}

async function closeStreamFiles(s: Stream): Promise<void> {
  if (s.kind === 'write') await s.crypt?.close().catch(() => undefined)
  await s.fh?.close().catch(() => undefined)
}

const DECRYPT_FAILURES: Record<OpenFailure, string> = {
  'no-key': 'is encrypted and the drive has no key (data protect 07/74/01 unable to decrypt data)',
  'wrong-key':
    'is encrypted with another key (data protect 07/74/03 incorrect data encryption key)',
  integrity:
    'failed its integrity check (data protect 07/74/04 cryptographic integrity validation failed)'
}

export class VirtualDrive implements TapeDriver {
  private mount: Mount | null = null
  private mountId = -1
  private pos: TapePosition | null = null
  private stream: Stream | null = null
  /** The read-ahead buffers, made at the first read and kept for every file after it. */
  private readBuffers: [Buffer, Buffer] | undefined
  private faults: TapeFaults | null = null
  private timing: TimingState | null = null
  private seenVersion = -1
  /** The cartridge changed under an open stream; the next block I/O must fail once. */
  private mediumChanged = false
  /** Rewinds not yet recorded (written with the next persist). */
  private pendingPasses = 0
  /** Bytes and errors not yet recorded in the cartridge's usage counters (ditto). */
  private pendingUsage = emptyUsage()
  private closed = false
  private readonly writeBehind = new WriteBehind()
  /**
   * Hardware encryption key (encrypt on, decrypt mixed) or none (off). Kept by this handle only,
   * like a drive that clears its key when PBS drops the handle; never persisted or logged.
   */
  private key: DriveKey | undefined
  private readonly pacer = new Pacer()

  private constructor(
    private readonly store: LibraryStore,
    /** Drive number in the library (0-based). */
    readonly number: number,
    readonly name: string,
    private readonly options: VirtualDriveOptions
  ) {}

  static async open(
    store: LibraryStore,
    number: number,
    name: string,
    options: VirtualDriveOptions = {}
  ): Promise<VirtualDrive> {
    const state = await store.read()
    if (!Number.isInteger(number) || number < 0 || number >= state.drives.length) {
      throw new Error(
        `${store.dir}: no drive ${number} (drives are numbered 0-${state.drives.length - 1})`
      )
    }
    const drive = new VirtualDrive(store, number, name, options)
    await drive.sync()
    return drive
  }

  get isClosed(): boolean {
    return this.closed
  }

  // -------------------------------------------------------------------------------------------
  // TapeDriver

  async status(): Promise<DriveStatus> {
    this.assertOpen()
    const state = await this.sync()
    const flags = driveAlertFlags(state, this.number)
    const m = this.mount
    if (!m) return { loaded: false, 'alert-flags': flags }
    const c = state.cartridges[m.tape]
    const status: DriveStatus = {
      loaded: true,
      'volume-tag': m.tape,
      'write-protect': m.writeProtect,
      'alert-flags': flags,
      'bytes-used': m.used,
      capacity: m.capacity,
      'medium-passes': c.passes,
      'volume-mounts': c.mounts,
      density: DATA_MEDIA_TYPES[m.mediaType]
    }
    if (this.pos) status.position = { ...this.pos }
    return status
  }

  /** What the library recorded about the loaded cartridge, plus this handle's unrecorded use. */
  async volumeStatistics(): Promise<VolumeStatistics> {
    return volumeStatisticsOf(await this.cartridgeView())
  }

  async cartridgeMemory(): Promise<CartridgeMemoryAttribute[]> {
    return cartridgeMemoryOf(await this.cartridgeView())
  }

  private async cartridgeView(): Promise<CartridgeView> {
    const m = await this.ready()
    const state = this.store.current ?? (await this.store.read())
    return {
      tape: m.tape,
      cartridge: state.cartridges[m.tape],
      pending: this.pendingUsage,
      used: m.used
    }
  }

  /** Threads the cartridge waiting in the drive (after eject); a cleaning cartridge cleans. */
  async load(): Promise<void> {
    this.assertOpen()
    const d = (await this.sync()).drives[this.number]
    if (d.tape === null) throw this.error('no-medium', 'no cartridge in the drive to load')
    if (d.loaded) return
    await sleep((this.timing?.['load-seconds'] ?? 0) * 1000, this.options.signal)
    await this.store.update((s) => {
      const now = s.drives[this.number]
      if (now.tape !== d.tape || now.loaded) return
      threadCartridge(s, this.number)
    })
    await this.sync()
  }

  async eject(): Promise<void> {
    this.assertOpen()
    const d = (await this.sync()).drives[this.number]
    if (d.tape === null) throw this.error('no-medium', 'no cartridge in the drive to eject')
    if (!d.loaded) return
    await this.endStream()
    if (!atBot(this.pos)) await this.wait(this.timing?.['rewind-seconds'] ?? 0)
    const m = this.mount
    await this.store.update((s) => {
      this.checkMount(s)
      const now = s.drives[this.number]
      now.position = this.pos && { ...this.pos }
      if (m) this.writeCartridgeCache(s, m)
      unthreadCartridge(s, this.number)
    })
    await this.sync()
  }

  async rewind(): Promise<void> {
    await this.ready()
    await this.endStream()
    await this.travel({ file: 0, block: 0 })
    await this.persist()
  }

  async position(): Promise<TapePosition> {
    await this.ready()
    return { ...this.requirePosition() }
  }

  async locateFile(file: number): Promise<void> {
    this.checkCount(file, 'file number', 0)
    const m = await this.ready()
    await this.endStream()
    const marks = this.filemarkCount(m)
    if (file > marks) {
      await this.travel(this.endOfData(m))
      await this.persist()
      throw this.error(
        'end-of-data',
        `locate to file ${file} failed: ${m.tape} has ${marks} filemark(s) ` +
          `(blank check 08/00/05); positioned at end of data`
      )
    }
    await this.travel({ file, block: 0 })
    await this.persist()
  }

  async moveToEndOfData(): Promise<void> {
    const m = await this.ready()
    await this.endStream()
    await this.travel(this.endOfData(m))
    await this.persist()
  }

  async spaceFilemarks(count: number): Promise<void> {
    this.checkCount(count, 'filemark count')
    const m = await this.ready()
    const pos = this.requirePosition()
    await this.endStream()
    if (count === 0) return
    const marks = this.filemarkCount(m)
    const target = pos.file + count
    if (count > 0 && target > marks) {
      await this.travel(this.endOfData(m))
      await this.persist()
      throw this.error(
        'end-of-data',
        `space forward ${count} filemark(s): end of data after ${marks - pos.file} ` +
          `(blank check 08/00/05)`
      )
    }
    if (count < 0 && target < 0) {
      await this.travel({ file: 0, block: 0 })
      await this.persist()
      throw this.error(
        'beginning-of-medium',
        `space backward ${-count} filemark(s): beginning of tape after ${pos.file} ` + `(00/00/04)`
      )
    }
    // Forward: just after the last mark crossed; backward: on its beginning-of-tape side.
    await this.travel(
      count > 0 ? { file: target, block: 0 } : { file: target, block: m.blocks[target] }
    )
    await this.persist()
  }

  async spaceBlocks(count: number): Promise<void> {
    this.checkCount(count, 'block count')
    const m = await this.ready()
    const pos = this.requirePosition()
    await this.endStream()
    if (count === 0) return
    const inFile = pos.file < m.blocks.length ? m.blocks[pos.file] : 0
    if (count > 0 && pos.block + count > inFile) {
      const moved = inFile - pos.block
      if (pos.file < this.filemarkCount(m)) {
        await this.travel({ file: pos.file + 1, block: 0 })
        await this.persist()
        throw this.error(
          'filemark',
          `space forward ${count} block(s): filemark after ${moved} block(s) (00/00/01); ` +
            `positioned after the filemark`
        )
      }
      await this.travel(this.endOfData(m))
      await this.persist()
      throw this.error(
        'end-of-data',
        `space forward ${count} block(s): end of data after ${moved} block(s) (blank check 08/00/05)`
      )
    }
    if (count < 0 && pos.block + count < 0) {
      const moved = pos.block
      if (pos.file === 0) {
        await this.travel({ file: 0, block: 0 })
        await this.persist()
        throw this.error(
          'beginning-of-medium',
          `space backward ${-count} block(s): beginning of tape after ${moved} block(s) (00/00/04)`
        )
      }
      await this.travel({ file: pos.file - 1, block: m.blocks[pos.file - 1] })
      await this.persist()
      throw this.error(
        'filemark',
        `space backward ${-count} block(s): filemark after ${moved} block(s) (00/00/01); ` +
          `positioned before the filemark`
      )
    }
    await this.travel({ file: pos.file, block: pos.block + count })
    await this.persist()
  }

  /**
   * Writes `count` filemarks at the current position (which truncates the tape there unless a file
   * is being written), synchronously: data is fsynced before the marks are recorded, so a recorded
   * filemark always follows durable data. `0` only flushes, like PBS's WRITE FILEMARKS(0): the
   * commit point after buffered filemarks.
   */
  async writeFilemarks(count: number): Promise<void> {
    this.checkCount(count, 'filemark count', 0)
    const m = await this.writable()
    const pos = this.requirePosition()
    if (count === 0) {
      // Between files the stream simply ends (releasing the drive); inside one it goes on.
      const s = this.stream
      if (s?.kind === 'write') await (s.fh ? this.flushWrites(s, true) : this.endStream())
      return
    }
    let file: { fh: FileHandle; crypt: CryptRecordWriter | null }
    if (this.stream?.kind === 'write' && this.stream.fh) {
      await this.flushWrites(this.stream, false)
      file = { fh: this.stream.fh, crypt: this.stream.crypt }
      this.stream = null
    } else {
      await this.endStream()
      file = await this.truncateAt(pos.file, pos.block, false)
    }
    await syncAndClose(file.fh, file.crypt)
    m.openFile = null
    for (let i = 1; i < count; i++) {
      await (await open(tapeFilePath(this.store.dir, m.tape, pos.file + i), 'w')).close()
      m.blocks.push(0)
    }
    if (count > 1) await writeTapeIndex(this.store.dir, m.tape, m.blocks.length)
    this.pos = { file: pos.file + count, block: 0 }
    await this.persist()
  }

  /**
   * One buffered filemark (WRITE FILEMARKS with IMMED): inside a write stream the file is ended
   * (its fsync starts in the background) and the stream goes on with the next one; nothing is
   * recorded until the next flush.
   */
  async writeFilemark(): Promise<void> {
    const s = this.stream
    if (s?.kind !== 'write' || !s.fh || this.stale()) return this.writeFilemarks(1)
    const m = this.mount as Mount
    const pos = this.pos as TapePosition
    await this.drainWrites()
    const ended = syncAndClose(s.fh, s.crypt)
    s.fh = null
    s.crypt = null
    s.syncing.push(ended.catch((err: unknown) => err))
    m.openFile = null
    this.pos = { file: pos.file + 1, block: 0 }
  }

  async format(fast: boolean): Promise<void> {
    const m = await this.writable()
    await this.endStream()
    await this.travel({ file: 0, block: 0 })
    const speed = this.timing?.['speed-bytes-per-second'] ?? 0
    // A long erase passes over the whole tape; a fast one only records end of data at BOT.
    if (!fast && speed > 0) await this.wait(m.usable / speed)
    // Index first: a crash after it leaves a blank tape (stray files are removed on next load).
    await writeTapeIndex(this.store.dir, m.tape, 0)
    await removeTapeFilesFrom(this.store.dir, m.tape, 0)
    m.blocks = []
    m.openFile = null
    m.used = 0
    await this.persist()
  }

  /**
   * PBS `set_encryption`: with a key, blocks written from now on are encrypted and encrypted
   * blocks decrypt (mixed mode: plain blocks read too); without, both are off. Blocks handed to
   * the drive before stay as they were written.
   */
  async setEncryption(key: Uint8Array | undefined): Promise<void> {
    this.assertOpen()
    if (key !== undefined && key.length !== 32) {
      throw this.error(
        'invalid-argument',
        `encryption key must be 32 bytes (AES-256), got ${key.length} (illegal request 05/26/00)`
      )
    }
    this.key?.wipe()
    this.key = key && new DriveKey(key)
  }

  async writeBlock(block: Uint8Array): Promise<{ leom: boolean }> {
    if (block.length !== BLOCK) {
      throw this.error(
        'invalid-argument',
        `the virtual drive stores ${BLOCK}-byte blocks only (got ${block.length} bytes)`
      )
    }
    let s = this.stream
    if (s?.kind !== 'write' || this.stale()) s = await this.beginWrite()
    const m = this.mount as Mount
    const pos = this.pos as TapePosition
    s.fh ??= await this.openNextFile(m, pos)
    const driveKey = this.key
    if (driveKey && !s.crypt) {
      s.crypt = await CryptRecordWriter.open(
        cryptRecordsPath(this.store.dir, m.tape, pos.file),
        pos.block
      )
    }
    const faults = this.faults as TapeFaults
    if (!faults.empty) {
      const key = TapeFaults.key(pos.file, pos.block)
      const writeError = faults.writeErrors.get(key)
      if (writeError !== undefined) {
        this.pendingUsage['write-errors']++
        throw this.error(
          'write-error',
          `write error on ${m.tape} at file ${pos.file} block ${pos.block} ` +
            `(medium error 03/0C/00; injected fault #${writeError}); nothing written, the file ` +
            `holds ${pos.block} block(s)`
        )
      }
      const cut = faults.powerCuts.get(key)
      if (cut !== undefined) await this.powerCut(cut)
    }
    if (m.used + BLOCK > m.usable) {
      throw this.error(
        'end-of-medium',
        `end of medium: ${m.tape} is full (${m.used} of ${m.usable} bytes used; ` +
          `volume overflow 0D/00/02); the block was not written`
      )
    }
    await this.pacer.pace(this.timing, BLOCK, this.options.signal)
    try {
      if (!s.crypt) await this.writeBehind.write(s.fh, block, pos.block * BLOCK)
      else {
        // Once a file has records, every block gets one (zero = plain).
        const record = s.crypt.record()
        if (driveKey) {
          const sealed = driveKey.seal(block, record)
          await this.writeBehind.write(s.fh, sealed, pos.block * BLOCK)
        } else await this.writeBehind.write(s.fh, block, pos.block * BLOCK)
      }
    } catch (err) {
      throw this.hostWriteError(m, err)
    }
    m.blocks[pos.file]++
    m.used += BLOCK
    this.pendingUsage['bytes-written'] += BLOCK
    pos.block++
    return { leom: m.used > m.leomAfter || m.used >= faults.earlyWarningAt }
  }

  async readBlock(): Promise<Uint8Array | 'filemark' | 'end-of-data'> {
    let s = this.stream
    if (s?.kind === 'read') {
      if (this.stale()) {
        await this.sync()
        if (this.stream !== s) throw this.mediumChangedError()
      }
    } else {
      await this.ready(true)
      if (this.mediumChanged) throw this.mediumChangedError()
      this.requirePosition()
      await this.endStream()
      s = null
    }
    const m = this.mount as Mount
    const pos = this.pos as TapePosition
    if (pos.file >= m.blocks.length) return 'end-of-data'
    if (pos.block >= m.blocks[pos.file]) {
      if (m.openFile === pos.file) return 'end-of-data'
      await this.endStream()
      this.pos = { file: pos.file + 1, block: 0 }
      return 'filemark'
    }
    if (!s) {
      const fh = await open(tapeFilePath(this.store.dir, m.tape, pos.file), 'r')
      let records: Buffer | undefined
      try {
        records = await readCryptRecords(this.store.dir, m.tape, pos.file)
      } catch (err) {
        await fh.close()
        throw err
      }
      s = this.stream = {
        kind: 'read',
        fh,
        ahead: new ReadAhead(
          fh,
          BLOCK,
          m.blocks[pos.file],
          (this.readBuffers ??= readAheadBuffers(BLOCK))
        ),
        records
      }
    }
    const faults = this.faults as TapeFaults
    if (!faults.empty) {
      const id = faults.readErrors.get(TapeFaults.key(pos.file, pos.block))
      if (id !== undefined) {
        pos.block++
        this.pendingUsage['read-errors']++
        throw this.error(
          'read-error',
          `read error on ${m.tape} at file ${pos.file} block ${pos.block - 1} ` +
            `(medium error 03/11/00 unrecovered read error; injected fault #${id}); ` +
            `positioned after the bad block`
        )
      }
    }
    await this.pacer.pace(this.timing, BLOCK, this.options.signal)
    const block = await s.ahead.block(pos.block)
    this.pendingUsage['bytes-read'] += block.length
    if (block.length !== BLOCK) {
      throw this.error(
        'read-error',
        `${tapeFilePath(this.store.dir, m.tape, pos.file)} is shorter than recorded ` +
          `(block ${pos.block}: ${block.length} bytes); was it changed outside Tapedeck?`
      )
    }
    const plain = openBlock(this.key, block, recordOf(s.records, pos.block))
    if (typeof plain === 'string') {
      // Nothing transferred and the position stays: with the right key the block reads.
      throw this.error(
        'cannot-decrypt',
        `${m.tape} file ${pos.file} block ${pos.block} ${DECRYPT_FAILURES[plain]}`
      )
    }
    pos.block++
    return plain
  }

  /** Ends any stream (data fsynced), records the position; the cartridge stays loaded. */
  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.endStream()
      await this.sync()
      if (this.mount) await this.persist()
    } finally {
      this.closed = true
      this.key?.wipe()
      this.key = undefined
      if (this.stream) await closeStreamFiles(this.stream)
      this.stream = null
    }
  }

  // -------------------------------------------------------------------------------------------
  // State

  /** Re-reads library.json if another handle or process changed it, and adopts the changes. */
  private async sync(): Promise<LibraryState> {
    const state = await this.store.read()
    if (this.store.version !== this.seenVersion) await this.adopt(state)
    return state
  }

  private async adopt(state: LibraryState): Promise<void> {
    this.seenVersion = this.store.version
    this.timing = state.timing
    const d = state.drives[this.number]
    if (d['mount-id'] !== this.mountId) {
      if (this.stream) {
        this.mediumChanged = true
        await this.drainWrites().catch(() => undefined)
        await closeStreamFiles(this.stream)
        this.stream = null
      }
      this.mountId = d['mount-id']
      this.mount = null
      this.pos = null
      // Use of a cartridge the robot took before this handle recorded it is lost with it.
      this.pendingUsage = emptyUsage()
      this.pacer.reset()
      if (d.tape !== null && d.loaded && !isCleaningTape(d.tape)) {
        const c = state.cartridges[d.tape]
        const content = await loadTapeContent(this.store.dir, d.tape, c['open-file'])
        const usable = usableCapacity(c.capacity)
        const m: Mount = {
          tape: d.tape,
          mediaType: c['media-type'],
          capacity: c.capacity,
          usable,
          leomAfter: usable - earlyWarningZone(c.capacity),
          writeProtect: c['write-protect'],
          blocks: content.blocks,
          openFile: content.openFile,
          used: sum(content.blocks) * BLOCK
        }
        this.mount = m
        this.pos = d.position && this.clamp(m, d.position)
        const cacheStale =
          c.files !== m.blocks.length || c['bytes-used'] !== m.used || c['open-file'] !== m.openFile
        if (cacheStale) {
          await this.store.update((s) => {
            if (s.drives[this.number]['mount-id'] === this.mountId) this.writeCartridgeCache(s, m)
          })
          this.seenVersion = this.store.version
        }
      }
    }
    const now = this.store.current ?? state
    if (this.mount) this.mount.writeProtect = now.cartridges[this.mount.tape]['write-protect']
    this.faults = this.mount ? new TapeFaults(now, this.mount.tape) : null
    this.timing = now.timing
  }

  /** Records position and tape layout; refuses if the robot took the cartridge meanwhile. */
  private async persist(writing = false): Promise<void> {
    const m = this.mount as Mount
    await this.store.update((s) => {
      this.checkMount(s)
      const d = s.drives[this.number]
      d.position = this.pos && { ...this.pos }
      d.writer = writing ? { pid: process.pid, host: hostname() } : null
      this.writeCartridgeCache(s, m)
    })
    // Own write: nothing to re-adopt, but faults or timing may have been changed by others.
    this.seenVersion = this.store.version
    const now = this.store.current as LibraryState
    this.faults = new TapeFaults(now, m.tape)
    this.timing = now.timing
    m.writeProtect = now.cartridges[m.tape]['write-protect']
  }

  private writeCartridgeCache(s: LibraryState, m: Mount): void {
    const c = s.cartridges[m.tape]
    c.files = m.blocks.length
    c['bytes-used'] = m.used
    c['open-file'] = m.openFile
    c.passes += this.pendingPasses
    this.pendingPasses = 0
    c.lifetime = addUsage(c.lifetime, this.pendingUsage)
    c['last-mount'] = addUsage(c['last-mount'], this.pendingUsage)
    this.pendingUsage = emptyUsage()
  }

  private checkMount(s: LibraryState): void {
    if (s.drives[this.number]['mount-id'] !== this.mountId) throw this.mediumChangedError()
  }

  // -------------------------------------------------------------------------------------------
  // Streams

  /**
   * Starts (or, after a change of the library state, re-checks) a write stream at the current position: everything after
   * the position is discarded first, as on tape. The intent is recorded in library.json before any
   * tape file is touched, so a crash in between is repaired towards the truncated state.
   */
  private async beginWrite(): Promise<WriteStream> {
    const s = this.stream
    if (s?.kind === 'write') {
      await this.sync()
      if (this.stream !== s) throw this.mediumChangedError()
      await this.checkWriteProtect(this.mount as Mount)
      return s
    }
    await this.writable(true)
    const pos = this.requirePosition()
    await this.endStream()
    const { fh, crypt } = await this.truncateAt(pos.file, pos.block, true)
    const stream: WriteStream = { kind: 'write', fh, crypt, syncing: [] }
    this.stream = stream
    return stream
  }

  /**
   * The next file of a write stream after a buffered filemark: appended at the end of data with
   * nothing recorded yet, so after a crash it is a stray file the next load removes.
   */
  private async openNextFile(m: Mount, pos: TapePosition): Promise<FileHandle> {
    m.blocks.push(0)
    m.openFile = pos.file
    await unlink(cryptRecordsPath(this.store.dir, m.tape, pos.file)).catch(() => undefined)
    return openTapeFileForWriting(tapeFilePath(this.store.dir, m.tape, pos.file), constants.O_TRUNC)
  }

  private async drainWrites(): Promise<void> {
    try {
      await this.writeBehind.drain()
    } catch (err) {
      throw this.hostWriteError(this.mount as Mount, err)
    }
  }

  /**
   * Makes everything the write stream wrote durable and recorded: data fsynced, then the tape
   * index, then library.json (`writing` keeps the writer mark while the stream goes on).
   */
  private async flushWrites(s: WriteStream, writing: boolean): Promise<void> {
    await this.drainWrites()
    const m = this.mount as Mount
    const synced = await Promise.all([this.syncOpenFile(s), ...s.syncing])
    s.syncing = []
    const failed = synced.find((r) => r instanceof Error)
    if (failed) throw this.hostWriteError(m, failed)
    await writeTapeIndex(this.store.dir, m.tape, m.blocks.length)
    await this.persist(writing)
  }

  /** The file a write stream has open, records first (a record never lags its block on disk). */
  private async syncOpenFile(s: WriteStream): Promise<void> {
    await s.crypt?.sync()
    await s.fh?.sync()
  }

  private hostWriteError(m: Mount, err: unknown): VirtualDriveError {
    return this.error(
      'write-error',
      `write to ${m.tape} failed on the host: ${(err as Error).message}`
    )
  }

  /**
   * Whether a streamed block must look at the library state first: another handle of this
   * library changed it (free to tell) or another process did (one synchronous `stat`, a few µs
   * against 100+ µs of block I/O). So a fault or robot move made anywhere applies from the very
   * next block, deterministically.
   */
  private stale(): boolean {
    return this.store.version !== this.seenVersion || this.store.changedOnDisk()
  }

  /**
   * Cuts the tape at `file`/`block` and returns the (now last, unterminated) file opened r/w, with
   * its encryption records if it has any.
   */
  private async truncateAt(
    file: number,
    block: number,
    writing: boolean
  ): Promise<{ fh: FileHandle; crypt: CryptRecordWriter | null }> {
    const m = this.mount as Mount
    const before = m.blocks.length
    m.blocks.length = Math.min(before, file + 1)
    if (file === before) m.blocks.push(0)
    m.blocks[file] = block
    m.openFile = file
    m.used = sum(m.blocks) * BLOCK
    await this.persist(writing)
    if (before !== file + 1) await writeTapeIndex(this.store.dir, m.tape, file + 1)
    if (before > file + 1) await removeTapeFilesFrom(this.store.dir, m.tape, file + 1)
    const fh = await openTapeFileForWriting(tapeFilePath(this.store.dir, m.tape, file))
    try {
      await fh.truncate(block * BLOCK)
      const crypt = await CryptRecordWriter.openExisting(
        cryptRecordsPath(this.store.dir, m.tape, file),
        block
      )
      return { fh, crypt }
    } catch (err) {
      await fh.close()
      throw err
    }
  }

  /** Closes the current stream; a write stream is flushed and the writer mark is cleared. */
  private async endStream(): Promise<void> {
    const s = this.stream
    if (!s) return
    this.stream = null
    if (s.kind === 'read') {
      await s.ahead.settle()
      await s.fh.close()
      return
    }
    try {
      await this.flushWrites(s, false)
    } finally {
      await s.crypt?.close()
      await s.fh?.close()
    }
    await this.dropEmptyOpenFile()
    await this.persist()
  }

  /** An unterminated file without a single block is nothing on a real tape. */
  private async dropEmptyOpenFile(): Promise<void> {
    const m = this.mount as Mount
    const f = m.openFile
    if (f === null || m.blocks[f] !== 0) return
    m.blocks.pop()
    m.openFile = null
    await writeTapeIndex(this.store.dir, m.tape, m.blocks.length)
    await removeTapeFilesFrom(this.store.dir, m.tape, f)
  }

  private async powerCut(faultId: number): Promise<never> {
    const m = this.mount as Mount
    const pos = this.pos as TapePosition
    const s = this.stream as WriteStream
    this.stream = null
    try {
      await this.drainWrites()
      await Promise.all([this.syncOpenFile(s), ...s.syncing])
      await writeTapeIndex(this.store.dir, m.tape, m.blocks.length)
    } finally {
      await s.crypt?.close()
      await s.fh?.close()
    }
    const at = { ...pos }
    this.pos = null
    await this.dropEmptyOpenFile()
    await this.store.update((st) => {
      this.checkMount(st)
      const d = st.drives[this.number]
      d.position = null
      d.writer = null
      this.writeCartridgeCache(st, m)
      st.faults = st.faults.filter((f) => f.id !== faultId)
    })
    await this.sync()
    throw this.error(
      'power-failure',
      `power failure while writing ${m.tape} file ${at.file} block ${at.block}` +
        ` (injected fault #${faultId})` +
        `: the tape keeps ${at.block} block(s) of that file without end-of-stream block or ` +
        `filemark; position lost, rewind or locate before the next command`
    )
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private async ready(dataAccess = false): Promise<Mount> {
    this.assertOpen()
    const state = await this.sync()
    if (this.mount) return this.mount
    const d = state.drives[this.number]
    if (d.tape !== null && isCleaningTape(d.tape)) {
      if (dataAccess) await this.raiseFlag('CLEANING_MEDIA')
      throw this.error(
        'cleaning-cartridge',
        `${d.tape} is a cleaning cartridge: it can never be read or written`
      )
    }
    if (d.tape !== null) {
      throw this.error(
        'no-medium',
        `${d.tape} sits in the drive unloaded (after eject); load it first (not ready 02/04/02)`
      )
    }
    throw this.error('no-medium', 'no medium in the drive (not ready 02/3A/00)')
  }

  /** Ready for a data command that changes the tape; `streaming` keeps a medium-change error. */
  private async writable(streaming = false): Promise<Mount> {
    const m = await this.ready(true)
    if (streaming && this.mediumChanged) throw this.mediumChangedError()
    await this.checkWriteProtect(m)
    return m
  }

  private async checkWriteProtect(m: Mount): Promise<void> {
    if (!m.writeProtect) return
    await this.raiseFlag('WRITE_PROTECT')
    throw this.error(
      'write-protected',
      `${m.tape} is write-protected (data protect 07/27/00); nothing written`
    )
  }

  private requirePosition(): TapePosition {
    if (!this.pos) {
      throw this.error(
        'position-lost',
        'position unknown after a power failure: rewind, locate or move to end of data first'
      )
    }
    return this.pos
  }

  /** Moves to `to`, taking the time the timing model says; a rewind to BOT counts a pass. */
  private async travel(to: TapePosition): Promise<void> {
    const m = this.mount as Mount
    const from = this.pos
    this.mediumChanged = false
    if (from && from.file === to.file && from.block === to.block) return
    const offset = (p: TapePosition) => (sum(m.blocks.slice(0, p.file)) + p.block) * BLOCK
    if (atBot(to)) {
      await this.wait(this.timing?.['rewind-seconds'] ?? 0)
      if (from && !atBot(from)) this.pendingPasses++
    } else {
      await this.wait(locateMs(this.timing, offset(to) - (from ? offset(from) : 0)) / 1000)
    }
    this.pos = { ...to }
    this.pacer.reset()
  }

  private async wait(seconds: number): Promise<void> {
    await sleep(seconds * 1000, this.options.signal)
  }

  private async raiseFlag(flag: string): Promise<void> {
    await this.store.update((s) => {
      const flags = s.drives[this.number]['alert-flags']
      if (!flags.includes(flag)) flags.push(flag)
    })
  }

  /** Number of filemarks on the tape (the last file may still lack its own). */
  private filemarkCount(m: Mount): number {
    return m.openFile === null ? m.blocks.length : m.blocks.length - 1
  }

  private endOfData(m: Mount): TapePosition {
    if (m.openFile !== null) return { file: m.openFile, block: m.blocks[m.openFile] }
    return { file: m.blocks.length, block: 0 }
  }

  /** A persisted position can point past the data if the tape files were repaired. */
  private clamp(m: Mount, p: TapePosition): TapePosition {
    const eod = this.endOfData(m)
    if (p.file > eod.file || (p.file === eod.file && p.block > eod.block)) return eod
    if (p.file < m.blocks.length && p.block > m.blocks[p.file]) {
      return { file: p.file, block: m.blocks[p.file] }
    }
    return { ...p }
  }

  private checkCount(n: number, what: string, min = -Infinity): void {
    if (!Number.isSafeInteger(n) || n < min) {
      throw this.error('invalid-argument', `${what} must be an integer${min === 0 ? ' >= 0' : ''}`)
    }
  }

  private assertOpen(): void {
    if (this.closed) throw this.error('closed', 'drive handle is closed')
  }

  private mediumChangedError(): VirtualDriveError {
    this.mediumChanged = false
    return this.error(
      'medium-changed',
      'the cartridge was moved by the changer while this handle was using it ' +
        '(unit attention 06/28/00); position again before reading or writing'
    )
  }

  private error(code: DriveErrorCode, message: string): VirtualDriveError {
    return new VirtualDriveError(this.name, code, message)
  }
}
