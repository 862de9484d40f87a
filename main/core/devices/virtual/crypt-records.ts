/**
 * The sidecar `tapefile-<n>-<label>.crypt` beside a tape file that holds encrypted blocks: one
 * CRYPT_RECORD_SIZE record per block of the tape file, in block order (see block-crypto.ts). A
 * tape file without sidecar is all plain, which is every tape written before the virtual drive
 * could encrypt — and every tape PBS's own virtual drive writes — so the format stays backward
 * compatible. An all-zero record is a plain block: a file may start plain and go on encrypted.
 *
 * Once a tape file has a sidecar every block written to it gets a record, so after a crash a
 * block without record was never committed (records are written and fsynced at the same commit
 * points as the blocks) and `repairCryptRecords` cuts it off.
 */
import { constants } from 'node:fs'
import { type FileHandle, open, readFile, stat, truncate, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { CRYPT_RECORD_SIZE } from './block-crypto'

export const cryptRecordsPath = (dir: string, label: string, file: number): string =>
  join(dir, `tapefile-${file}-${label}.crypt`)

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'

/** The records of tape file `file`, or undefined when it has none (all blocks plain). */
export async function readCryptRecords(
  dir: string,
  label: string,
  file: number
): Promise<Buffer | undefined> {
  try {
    return await readFile(cryptRecordsPath(dir, label, file))
  } catch (err) {
    if (isMissing(err)) return undefined
    throw err
  }
}

/** Record of block `n` (undefined beyond the sidecar's end, which reads as plain). */
export function recordOf(records: Buffer | undefined, n: number): Buffer | undefined {
  if (!records || (n + 1) * CRYPT_RECORD_SIZE > records.length) return undefined
  return records.subarray(n * CRYPT_RECORD_SIZE, (n + 1) * CRYPT_RECORD_SIZE)
}

/**
 * Crash repair for one tape file of `blocks` whole blocks: blocks without record are cut off
 * (returns how many blocks remain), records without block are dropped.
 */
export async function repairCryptRecords(
  dir: string,
  label: string,
  file: number,
  blocks: number,
  dataPath: string,
  blockSize: number
): Promise<number> {
  const path = cryptRecordsPath(dir, label, file)
  let size: number
  try {
    size = (await stat(path)).size
  } catch (err) {
    if (isMissing(err)) return blocks
    throw err
  }
  const records = Math.floor(size / CRYPT_RECORD_SIZE)
  if (records < blocks) {
    await truncate(dataPath, records * blockSize)
    blocks = records
  }
  if (blocks === 0) await unlink(path).catch(() => undefined)
  else if (size !== blocks * CRYPT_RECORD_SIZE) await truncate(path, blocks * CRYPT_RECORD_SIZE)
  return blocks
}

/**
 * Records of the tape file being written: collected in memory (64 bytes a block, no syscall per
 * block) and written out at the commit points of the data — `sync` before the data file's fsync
 * is trusted.
 */
export class CryptRecordWriter {
  private pending: Buffer[] = []

  private constructor(
    private readonly fh: FileHandle,
    /** Index of the first record not yet written. */
    private next: number
  ) {}

  /**
   * Opens the sidecar of a tape file whose first `block` blocks stay as they are: records beyond
   * are cut, and a new sidecar is zero-filled up to there (those blocks are plain). Made durable
   * at once, so a crash never leaves committed blocks behind a sidecar too short for them.
   */
  static async open(path: string, block: number): Promise<CryptRecordWriter> {
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o640)
    try {
      await fh.truncate(block * CRYPT_RECORD_SIZE)
      await fh.sync()
    } catch (err) {
      await fh.close()
      throw err
    }
    return new CryptRecordWriter(fh, block)
  }

  /** Opens the sidecar if tape file `path` has one (appending after block `block`). */
  static async openExisting(path: string, block: number): Promise<CryptRecordWriter | null> {
    try {
      await stat(path)
    } catch (err) {
      if (isMissing(err)) return null
      throw err
    }
    if (block === 0) {
      await unlink(path)
      return null
    }
    return CryptRecordWriter.open(path, block)
  }

  /** A zeroed record for the next block (zero = plain), to be filled in by the caller. */
  record(): Buffer {
    const record = Buffer.alloc(CRYPT_RECORD_SIZE)
    this.pending.push(record)
    return record
  }

  /** Writes the records collected so far. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return
    const data = Buffer.concat(this.pending)
    const { bytesWritten } = await this.fh.write(
      data,
      0,
      data.length,
      this.next * CRYPT_RECORD_SIZE
    )
    if (bytesWritten !== data.length) throw new Error(`short write of encryption records`)
    this.next += this.pending.length
    this.pending = []
  }

  async sync(): Promise<void> {
    await this.flush()
    await this.fh.sync()
  }

  async close(): Promise<void> {
    await this.fh.close()
  }
}
