import { describe, expect, it } from 'vitest'
import { ScsiDevice, ScsiError } from '../../../main/core/devices/scsi/scsi-device'
import {
  type ReadOutcome,
  readBlock,
  writeBlock,
  writeFilemarks
} from '../../../main/core/devices/scsi/tape-io'
import {
  ScriptedTransport,
  UNIT_ATTENTION_RESET,
  check,
  fixedSense,
  good
} from './scripted-transport'
import { hexOf } from './hex'

const L = 262144
function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff
  return b
}

/** Outcome with the block as hex: comparing 256 KiB arrays element by element is slow. */
const summary = (o: ReadOutcome): unknown =>
  o.kind === 'block' ? { kind: 'block', length: o.data.length, hex: hexOf(o.data) } : o
const blockOf = (data: Uint8Array): unknown => ({
  kind: 'block',
  length: data.length,
  hex: hexOf(data)
})
const dev = (t: ScriptedTransport): ScsiDevice => new ScsiDevice(t, { sleep: async () => {} })

describe('readBlock (variable-block READ(6))', () => {
  it('GOOD: the received bytes are the block; SILI goes into the CDB', async () => {
    const block = pattern(L)
    const t = new ScriptedTransport(good(block), good(pattern(1000), L - 1000))
    expect(summary(await readBlock(dev(t), L, { sili: true }))).toEqual(blockOf(block))
    expect(hexOf(t.requests[0].cdb)).toBe('080204000000')
    expect(t.requests[0].dataInLength).toBe(L)
    // a drive honouring SILI answers a short block with GOOD and a residual
    expect(summary(await readBlock(dev(t), L))).toEqual(blockOf(pattern(1000)))
  })

  it('ILI: block length = requested - INFORMATION, ignoring the residual (tgt 1.0.85 swaps it)', async () => {
    // Real tgt answer for READ 262144 over a 65536-byte block: ILI, INFO 196608 (scsi.md §6.3),
    // L - B = 196608 bytes of Data-In and residual 65536 (swapped); the block is the first 65536.
    const dataIn = pattern(196608)
    const t = new ScriptedTransport(check(fixedSense(0x20, 0, 0, 196608), dataIn, 65536))
    expect(summary(await readBlock(dev(t), L))).toEqual(blockOf(dataIn.subarray(0, 65536)))
  })

  it('refuses a block the target truncated (tgt 1.0.85 with B < L < 2B) instead of returning short data', async () => {
    // READ 262144 over a 200000-byte block: INFO 62144, but only 62144 bytes of Data-In arrive
    const t = new ScriptedTransport(check(fixedSense(0x20, 0, 0, 62144), pattern(62144), 200000))
    const err = await readBlock(dev(t), L).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ScsiError)
    expect((err as ScsiError).message).toMatch(/sent 62144 bytes of a 200000-byte block/)
  })

  it('ILI with negative INFORMATION: the block was longer than the buffer', async () => {
    const t = new ScriptedTransport(check(fixedSense(0x20, 0, 0, -1000)))
    expect(await readBlock(dev(t), L)).toEqual({ kind: 'block-too-long', length: L + 1000 })
  })

  it('filemark and end of data; junk Data-In sent before the CHECK CONDITION is ignored', async () => {
    const t = new ScriptedTransport(
      check(fixedSense(0x80, 0x00, 0x01, L), pattern(L)), // tgt sends L bytes of garbage with a filemark
      check(fixedSense(0x08, 0x00, 0x05)), // BLANK CHECK, end-of-data detected
      check(fixedSense(0x48, 0x00, 0x00)) // tgt's EOD: BLANK CHECK + EOM, 00/00, no INFO
    )
    const d = dev(t)
    expect(await readBlock(d, L)).toEqual({ kind: 'filemark' })
    expect(await readBlock(d, L)).toEqual({ kind: 'end-of-data' })
    expect(await readBlock(d, L)).toEqual({ kind: 'end-of-data' })
  })

  it('a READ answered with UNIT ATTENTION did not run and is re-sent; errors are thrown', async () => {
    const block = pattern(100)
    const t = new ScriptedTransport(
      check(UNIT_ATTENTION_RESET),
      check(fixedSense(0x20, 0, 0, L - 100), block),
      check(fixedSense(0x03, 0x11, 0x00))
    )
    expect(summary(await readBlock(dev(t), L))).toEqual(blockOf(block))
    expect(t.requests).toHaveLength(2)
    await expect(readBlock(dev(t), L)).rejects.toMatchObject({ code: 'medium-error' })
    // ILI without INFORMATION gives no block length: refuse rather than guess
    const noInfo = new ScriptedTransport(check(fixedSense(0x20, 0, 0)))
    await expect(readBlock(dev(noInfo), L)).rejects.toThrow(/block length is unknown/)
  })
})

describe('writeBlock and writeFilemarks', () => {
  it('GOOD: written, no early warning; the block goes out as one WRITE(6)', async () => {
    const block = pattern(L)
    const t = new ScriptedTransport(good())
    expect(await writeBlock(dev(t), block)).toEqual({ leom: false })
    expect(hexOf(t.requests[0].cdb)).toBe('0a0004000000')
    expect(t.requests[0].dataOut).toBe(block)
  })

  it('LEOM from the EOM bit with NO SENSE: tgt 00/00, EW 00/02, PEW 00/07 — the block was written', async () => {
    const t = new ScriptedTransport(
      check(fixedSense(0x40, 0, 0x00)),
      check(fixedSense(0x40, 0, 0x02, 0)),
      check(fixedSense(0x40, 0, 0x07, 0))
    )
    for (let i = 0; i < 3; i++)
      expect(await writeBlock(dev(t), pattern(10))).toEqual({ leom: true })
    expect(t.requests).toHaveLength(3)
  })

  it('VOLUME OVERFLOW, write protect and deferred errors fail the write', async () => {
    const t = new ScriptedTransport(
      check(fixedSense(0x4d, 0x00, 0x02, 4096)),
      check(fixedSense(0x07, 0x27, 0x00)),
      check('71 00 03 00 00 00 00 0a 00 00 00 00 0c 00 00 00 00 00')
    )
    await expect(writeBlock(dev(t), pattern(4096))).rejects.toMatchObject({
      code: 'volume-overflow',
      sense: { information: 4096 }
    })
    await expect(writeBlock(dev(t), pattern(10))).rejects.toMatchObject({ code: 'write-protected' })
    await expect(writeBlock(dev(t), pattern(10))).rejects.toThrow(
      /deferred error: MEDIUM ERROR: Write error/
    )
  })

  it('WRITE FILEMARKS: count and IMMED in the CDB, LEOM reported like on WRITE', async () => {
    const t = new ScriptedTransport(good(), check(fixedSense(0x40, 0, 0x02)))
    expect(await writeFilemarks(dev(t), 0)).toEqual({ leom: false })
    expect(await writeFilemarks(dev(t), 1, { immediate: true })).toEqual({ leom: true })
    expect(t.requests.map((r) => hexOf(r.cdb))).toEqual(['100000000000', '100100000100'])
  })
})
