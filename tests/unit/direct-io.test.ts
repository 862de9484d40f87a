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
  it('makes aligned buffers in 64 KiB steps', () => {
    expect(alignedBuffer(100).length).toBe(65_536)
    expect(alignedBuffer(DIRECT_ALIGN * 17).length).toBe(131_072)
  })

  it('pools buffers in power-of-two sizes, so one fits the next chunks of similar size', () => {
    const buffers = new AlignedBuffers(2)
    const small = buffers.take(100)
    expect(small.length).toBe(1024 * 1024)
    const chunk = buffers.take(4 * 1024 * 1024 + 4096)
    expect(chunk.length).toBe(8 * 1024 * 1024)
    buffers.give(small)
    buffers.give(chunk)
    expect(buffers.take(4 * 1024 * 1024) === chunk).toBe(true)
    expect(buffers.take(1000) === small).toBe(true)
  })

  it('trades the smallest pooled buffer for a larger one when full', () => {
    const buffers = new AlignedBuffers(1)
    const small = buffers.take(1)
    const large = buffers.take(2 * 1024 * 1024)
    buffers.give(small)
    buffers.give(large)
    // identity, not contents: a failing toBe would diff megabytes
    expect(buffers.take(1) === large).toBe(true)
    expect(buffers.take(1) === small).toBe(false)
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
