import { readFile, stat } from 'node:fs/promises'
import { constants } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AlignedBuffers,
  DIRECT_ALIGN,
  alignedBuffer,
  openForDirectWrite,
  writeWholeFile
} from '../../main/core/util/direct-io'
import { tempDir } from '../helpers/temp'

let work: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => (work = await tempDir('tapedeck-direct-io-')))
afterAll(() => work.remove())

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff
  return bytes
}

describe('direct I/O', () => {
  it('hands out buffers in 64 KiB steps that can be reused', () => {
    const buffers = new AlignedBuffers(2)
    const a = buffers.take(100)
    expect(a.length).toBe(65_536)
    buffers.give(a)
    expect(buffers.take(65_536)).toBe(a)
    expect(alignedBuffer(DIRECT_ALIGN * 17).length).toBe(131_072)
  })

  it.each([0, 1, 511, 4096, 4097, 1_000_003])(
    'writes a file of exactly %i bytes, from shared memory at an odd address too',
    async (length) => {
      const path = join(work.path, `file-${length}`)
      const { fh, direct } = await openForDirectWrite(path, CREATE, 0o644)
      // the temp dir lives on the machine's disk (ext4 here), which takes O_DIRECT
      expect(direct).toBe(true)
      const shared = new Uint8Array(new SharedArrayBuffer(length + 8), 3, length)
      shared.set(pattern(length, length))
      try {
        await writeWholeFile(fh, direct, shared, new AlignedBuffers())
      } finally {
        await fh.close()
      }
      expect((await stat(path)).size).toBe(length)
      expect(Buffer.compare(await readFile(path), pattern(length, length))).toBe(0)
    }
  )

  // Which file systems refuse O_DIRECT depends on the kernel (tmpfs takes it since Linux 6.6),
  // so the refusal itself cannot be produced here; the buffered path it falls back to can.
  it('writes the same bytes through an ordinary handle when direct I/O is not used', async () => {
    const path = join(work.path, 'buffered')
    const { fh, direct } = await openForDirectWrite(path, CREATE, 0o600, false)
    try {
      expect(direct).toBe(false)
      await writeWholeFile(fh, direct, pattern(5000, 7), new AlignedBuffers())
    } finally {
      await fh.close()
    }
    expect(Buffer.compare(await readFile(path), pattern(5000, 7))).toBe(0)
  })

  it('keeps refusing to overwrite an existing file (O_EXCL still applies)', async () => {
    const path = join(work.path, 'file-4096')
    await expect(openForDirectWrite(path, CREATE, 0o644)).rejects.toMatchObject({
      code: 'EEXIST'
    })
  })
})
