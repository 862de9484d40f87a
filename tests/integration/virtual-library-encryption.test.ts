/**
 * Hardware encryption of the virtual drive, as an LTO drive does it: blocks written with a key are
 * AES-256-GCM ciphertext on the medium (records beside them say so and which key, never the key),
 * plain blocks stay plain, mixed mode reads both, and without the key — or with another — the
 * read fails with a DATA PROTECT sense and hands out no plaintext.
 */
import { randomBytes } from 'node:crypto'
import { readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isDecryptionError } from '../../main/core/devices/tape-driver'
import {
  VIRTUAL_BLOCK_SIZE,
  VirtualLibrary,
  createVirtualLibrary,
  setFault,
  tapeFilePath,
  type VirtualDrive
} from '../../main/core/devices/virtual'
import { CRYPT_RECORD_SIZE } from '../../main/core/devices/virtual/block-crypto'
import { cryptRecordsPath } from '../../main/core/devices/virtual/crypt-records'
import { loadTapeContent } from '../../main/core/devices/virtual/tape-files'
import { BlockedReader } from '../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../main/core/format/blocked-writer'
import { tempDir } from '../helpers/temp'

const TAPE = 'TAPE01L9'
const MARK = 'PLAINTEXT-MARKER-7f3a'
let work: Awaited<ReturnType<typeof tempDir>>
let lib: string
let library: VirtualLibrary
let drive: VirtualDrive

/** A recognisable payload of `blocks` whole tape blocks (the marker repeats throughout). */
const payload = (blocks: number) =>
  Buffer.from(MARK.repeat(Math.ceil((blocks * VIRTUAL_BLOCK_SIZE) / MARK.length))).subarray(
    0,
    blocks * VIRTUAL_BLOCK_SIZE - 1000
  )

async function writeFile1(d: VirtualDrive, data: Uint8Array): Promise<void> {
  const writer = new BlockedWriter(d)
  await writer.write(data)
  await writer.finish(false)
}

async function readFileAt(d: VirtualDrive, file: number): Promise<Buffer> {
  await d.locateFile(file)
  const reader = await BlockedReader.open(d)
  if (!(reader instanceof BlockedReader)) throw new Error(`file ${file}: ${reader}`)
  const parts: Buffer[] = []
  for (;;) {
    const buf = Buffer.alloc(1 << 20)
    const n = await reader.read(buf)
    if (n === 0) break
    parts.push(buf.subarray(0, n))
  }
  return Buffer.concat(parts)
}

async function reopen(): Promise<VirtualDrive> {
  await library.close()
  library = await VirtualLibrary.open(lib)
  drive = await library.drive(0)
  return drive
}

beforeEach(async () => {
  work = await tempDir('tapedeck-vcrypt-')
  lib = join(work.path, 'lib')
  await createVirtualLibrary({ path: lib, drives: 1, slots: 1, tapes: 1, tapeSize: 64 << 20 })
  library = await VirtualLibrary.open(lib)
  await library.changer().load(1, 0)
  drive = await library.drive(0)
})

afterEach(async () => {
  await library.close()
  await work.remove()
})

describe('virtual drive hardware encryption', () => {
  const key = randomBytes(32)
  const label = Buffer.from('label in clear: ' + MARK)
  const data = payload(3)

  /** File 0 plain (a label), file 1 encrypted, file 2 plain again. */
  async function writeMixedTape() {
    await drive.rewind()
    await writeFile1(drive, label)
    await drive.setEncryption(key)
    await writeFile1(drive, data)
    await drive.setEncryption(undefined)
    await writeFile1(drive, label)
    await drive.writeFilemarks(0)
  }

  it('stores encrypted blocks as ciphertext with records, plain blocks as they are', async () => {
    await writeMixedTape()
    const raw0 = await readFile(tapeFilePath(lib, TAPE, 0))
    const raw1 = await readFile(tapeFilePath(lib, TAPE, 1))
    expect(raw0.includes(MARK)).toBe(true)
    expect(raw1.length).toBe(3 * VIRTUAL_BLOCK_SIZE) // GCM keeps the block size
    expect(raw1.includes(MARK)).toBe(false)
    expect(raw1.includes(data.subarray(0, 64))).toBe(false)
    const names = (await readdir(lib)).filter((n) => n.endsWith('.crypt'))
    expect(names).toEqual([`tapefile-1-${TAPE}.crypt`])
    const records = await readFile(cryptRecordsPath(lib, TAPE, 1))
    expect(records.length).toBe(3 * CRYPT_RECORD_SIZE)
    // The key never lands on the medium.
    expect(records.includes(key)).toBe(false)
    expect(raw1.includes(key)).toBe(false)
  })

  it('reads plain and encrypted files with the key (mixed mode)', async () => {
    await writeMixedTape()
    const d = await reopen()
    await d.setEncryption(key)
    expect((await readFileAt(d, 0)).equals(label)).toBe(true)
    expect((await readFileAt(d, 1)).equals(data)).toBe(true)
    expect((await readFileAt(d, 2)).equals(label)).toBe(true)
  })

  it('refuses encrypted blocks without the key or with another, and reads on with it', async () => {
    await writeMixedTape()
    const d = await reopen()
    // Labels read without any key.
    expect((await readFileAt(d, 0)).equals(label)).toBe(true)
    await d.locateFile(1)
    const noKey = await d.readBlock().catch((e: unknown) => e)
    expect(isDecryptionError(noKey)).toBe(true)
    expect((noKey as Error).message).toMatch(/no key.*07\/74\/01/)
    // Nothing was transferred: the position stays on the block.
    expect(await d.position()).toEqual({ file: 1, block: 0 })

    await d.setEncryption(randomBytes(32))
    const wrong = await d.readBlock().catch((e: unknown) => e)
    expect(isDecryptionError(wrong)).toBe(true)
    expect((wrong as Error).message).toMatch(/another key.*07\/74\/03/)

    await d.setEncryption(key)
    expect((await readFileAt(d, 1)).equals(data)).toBe(true)
  })

  it('detects a damaged encrypted block (integrity check)', async () => {
    await writeMixedTape()
    await library.close()
    const path = tapeFilePath(lib, TAPE, 1)
    const raw = await readFile(path)
    raw[VIRTUAL_BLOCK_SIZE + 100] ^= 1
    await writeFile(path, raw)
    library = await VirtualLibrary.open(lib)
    drive = await library.drive(0)
    await drive.setEncryption(key)
    await drive.locateFile(1)
    expect(await drive.readBlock()).toHaveLength(VIRTUAL_BLOCK_SIZE)
    const err = await drive.readBlock().catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/integrity.*07\/74\/04/)
  })

  it('switches to encryption inside a file: earlier blocks stay plain', async () => {
    await drive.rewind()
    await drive.writeBlock(Buffer.alloc(VIRTUAL_BLOCK_SIZE, 1))
    await drive.setEncryption(key)
    await drive.writeBlock(Buffer.alloc(VIRTUAL_BLOCK_SIZE, 2))
    await drive.writeFilemarks(1)
    const records = await readFile(cryptRecordsPath(lib, TAPE, 0))
    expect(records.length).toBe(2 * CRYPT_RECORD_SIZE)
    expect(records.subarray(0, CRYPT_RECORD_SIZE).every((b) => b === 0)).toBe(true)
    const d = await reopen()
    await d.rewind()
    expect(Buffer.from((await d.readBlock()) as Uint8Array).every((b) => b === 1)).toBe(true)
    await expect(d.readBlock()).rejects.toThrow(/07\/74\/01/)
  })

  it('overwriting a file drops its records; formatting drops all', async () => {
    await writeMixedTape()
    await drive.locateFile(1)
    await writeFile1(drive, label) // plain now: file 1's old records must go
    await drive.writeFilemarks(0)
    expect((await readdir(lib)).some((n) => n.endsWith('.crypt'))).toBe(false)
    expect((await readFileAt(drive, 1)).equals(label)).toBe(true)

    await drive.setEncryption(key)
    await drive.locateFile(1)
    await writeFile1(drive, data)
    await drive.writeFilemarks(0)
    await drive.format(true)
    expect((await readdir(lib)).some((n) => n.endsWith('.crypt'))).toBe(false)
  })

  it('crash repair cuts blocks whose records never reached the disk', async () => {
    await writeMixedTape()
    await library.close()
    await truncate(cryptRecordsPath(lib, TAPE, 1), 2 * CRYPT_RECORD_SIZE + 10)
    const content = await loadTapeContent(lib, TAPE, null)
    expect(content.blocks).toEqual([1, 2, 1])
    expect((await stat(tapeFilePath(lib, TAPE, 1))).size).toBe(2 * VIRTUAL_BLOCK_SIZE)
    expect((await stat(cryptRecordsPath(lib, TAPE, 1))).size).toBe(2 * CRYPT_RECORD_SIZE)
    library = await VirtualLibrary.open(lib)
  })

  it('a power cut keeps the encrypted blocks written before it, readable with the key', async () => {
    await drive.rewind()
    await writeFile1(drive, label)
    await drive.setEncryption(key)
    await setFault(lib, { kind: 'power-cut', tape: TAPE, file: 1, block: 2 })
    await expect(writeFile1(drive, data)).rejects.toThrow(/power failure/)
    const d = await reopen()
    await d.setEncryption(key)
    await d.locateFile(1)
    expect(await d.readBlock()).toHaveLength(VIRTUAL_BLOCK_SIZE)
    expect(await d.readBlock()).toHaveLength(VIRTUAL_BLOCK_SIZE)
    expect(await d.readBlock()).toBe('end-of-data')
    expect((await stat(cryptRecordsPath(lib, TAPE, 1))).size).toBe(2 * CRYPT_RECORD_SIZE)
    // Appending after the cut goes on encrypted, with records in step.
    await d.moveToEndOfData()
    await d.writeFilemarks(1)
    await writeFile1(d, data)
    await d.writeFilemarks(0)
    expect((await readFileAt(d, 2)).equals(data)).toBe(true)
  })

  it('refuses keys that are not 32 bytes', async () => {
    await expect(drive.setEncryption(Buffer.alloc(16))).rejects.toThrow(/32 bytes/)
  })
})
