/**
 * LtoDrive against scripted device answers for what tgt cannot show (scsi.md §4.5): the mode
 * pages it sets, LEOM, medium and decryption errors, READ POSITION and LOCATE(16) on a real
 * drive, hardware encryption, TapeAlert and volume statistics, and no retry after a lost command.
 */
import { describe, expect, it } from 'vitest'
import { LtoDrive } from '../../../main/core/devices/lto/lto-drive'
import { buildSetDataEncryptionPage } from '../../../main/core/devices/scsi/encryption'
import { TransportError, type ScsiRequest } from '../../../main/core/devices/scsi/transport'
import { isDecryptionError, isMediumReadError } from '../../../main/core/devices/tape-driver'
import { ScriptedTransport, check, fixedSense, good } from './scripted-transport'
import { concat, h, hexOf, padded } from './hex'

const INQUIRY = good(
  concat(
    [0x01, 0x80, 0x05, 0x02, 31, 0, 0, 0],
    padded('IBM', 8),
    padded('ULT3580-TD8', 16),
    padded('0001', 4)
  )
)
/** MODE SENSE(6) page 0Fh: LTO-8 density, buffered mode 1, compression capable (DCC) but off. */
const MODE_SENSE = good(
  h('1b 00 10 08  5e 000000 00 000000  0f 0e 40 80 00000001 00000001 00000000')
)
const PREPARED = [INQUIRY, MODE_SENSE, good()]
const FILEMARK = check(fixedSense(0x80, 0x00, 0x01))
const NOT_SUPPORTED = check(fixedSense(0x05, 0x20, 0x00))

/** Keeps a copy of each Data-Out buffer: the driver wipes key pages once they are sent. */
class CopyingTransport extends ScriptedTransport {
  override execute(r: ScsiRequest) {
    return super.execute({ ...r, dataOut: r.dataOut && Uint8Array.from(r.dataOut) })
  }
}

const open = (transport: ScriptedTransport) => LtoDrive.open('lto0', transport)
const cdbs = (t: ScriptedTransport) => t.requests.map((r) => hexOf(r.cdb))

/** READ POSITION long form: flags, partition 0, block (object) number, file number. */
function longPosition(block: number, file: number, flags = 0) {
  const b = new Uint8Array(32)
  const v = new DataView(b.buffer)
  b[0] = flags
  v.setBigUint64(8, BigInt(block))
  v.setBigUint64(16, BigInt(file))
  return good(b)
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: Error & { code?: string }) => e
  )
}

describe('LtoDrive', () => {
  it('sets variable blocks, buffered mode and compression before the first write, and reports LEOM', async () => {
    const t = new ScriptedTransport(...PREPARED, good(), check(fixedSense(0x40, 0x00, 0x02, 0)))
    const drive = await open(t)
    const block = new Uint8Array(262_144).fill(7)
    expect(await drive.writeBlock(block)).toEqual({ leom: false })
    expect(await drive.writeBlock(block)).toEqual({ leom: true })
    expect(cdbs(t)).toEqual([
      '120000006000',
      '1a000f00ff00',
      '15100000' + '1c00',
      '0a0004000000',
      '0a0004000000'
    ])
    // Block length 0, density kept, BUFFERED MODE 1, DCE set on the page MODE SENSE returned.
    expect(hexOf(t.requests[2]!.dataOut!)).toBe(
      '00001008' + '5e00000000000000' + '0f0ec08000000001000000010000000'.padEnd(32, '0')
    )
    expect(t.requests[3]!.dataOut).toBe(block)
  })

  it('maps medium errors to read-error and DATA PROTECT 74/xx to cannot-decrypt', async () => {
    const t = new ScriptedTransport(
      ...PREPARED,
      check(fixedSense(0x03, 0x11, 0x00)),
      check(fixedSense(0x07, 0x74, 0x01)),
      FILEMARK
    )
    const drive = await open(t)
    const medium = await rejection(drive.readBlock())
    expect(isMediumReadError(medium)).toBe(true)
    expect(medium.message).toContain('Unrecovered read error')
    expect(isDecryptionError(await rejection(drive.readBlock()))).toBe(true)
    expect(await drive.readBlock()).toBe('filemark')
    // SILI set, 256 KiB buffer (PBS `08 02 04 00 00 00`).
    expect(cdbs(t).slice(3)).toEqual(['080204000000', '080204000000', '080204000000'])
  })

  it('learns the file number at end of data from READ POSITION and checks the last filemark', async () => {
    const t = new ScriptedTransport(
      ...PREPARED,
      good(), // SPACE EOD
      longPosition(1000, 5),
      FILEMARK, // SPACE -1 block stops at the filemark: the last file is complete
      good() // SPACE 1 filemark back to the end-of-tape side
    )
    const drive = await open(t)
    await drive.moveToEndOfData()
    expect(await drive.position()).toEqual({ file: 5, block: 0 })
    expect(cdbs(t).slice(3)).toEqual([
      '110300000000',
      '34060000000000000000',
      '1100ffffff00',
      '110100000100'
    ])
  })

  it('says an unfinished last file has blocks when SPACE back finds no filemark', async () => {
    const t = new ScriptedTransport(...PREPARED, good(), longPosition(1000, 5), good(), good())
    const drive = await open(t)
    await drive.moveToEndOfData()
    expect((await drive.position()).block).toBeGreaterThan(0)
    expect(cdbs(t).at(-1)).toBe('110000000100')
  })

  it('locates with LOCATE(16) and corrects the vendor off-by-one once, as PBS', async () => {
    const t = new ScriptedTransport(
      ...PREPARED,
      good(), // LOCATE to filemark 2
      good(), // SPACE 1 filemark
      longPosition(300, 2), // one short: this drive counts filemarks from 1
      good(), // LOCATE to filemark 3
      good(),
      longPosition(400, 3),
      good(), // the next locate uses the learnt numbering at once: filemark 1 for file 1
      good(),
      longPosition(100, 1)
    )
    const drive = await open(t)
    await drive.locateFile(3)
    expect(await drive.position()).toEqual({ file: 3, block: 0 })
    await drive.locateFile(1)
    expect(await drive.position()).toEqual({ file: 1, block: 0 })
    expect(cdbs(t).slice(3)).toEqual([
      '92080000000000000000000200000000',
      '110100000100',
      '34060000000000000000',
      '92080000000000000000000300000000',
      '110100000100',
      '34060000000000000000',
      '92080000000000000000000100000000',
      '110100000100',
      '34060000000000000000'
    ])
  })

  it('falls back to REWIND + SPACE when the drive has no LOCATE(16)', async () => {
    const t = new ScriptedTransport(...PREPARED, NOT_SUPPORTED, good(), good())
    const drive = await open(t)
    await drive.locateFile(2)
    expect(await drive.position()).toEqual({ file: 2, block: 0 })
    expect(cdbs(t).slice(4)).toEqual(['010000000000', '110100000200'])
  })

  it('programs AES-256-GCM with the PBS Set Data Encryption page and clears it on close', async () => {
    const caps = new Uint8Array(44)
    caps.set(h('0010 0028'), 0)
    caps.set(h('01 00 0014 0a 00 0000 0000 0020 0000000000000000 00010014'), 20)
    const t = new CopyingTransport(INQUIRY, good(caps), good(), good())
    const drive = await open(t)
    const key = new Uint8Array(32).map((_, i) => i)
    await drive.setEncryption(key)
    await drive.close()
    expect(cdbs(t).slice(1)).toEqual([
      'a22000100000000020040000',
      'b52000100000000000340000',
      'b52000100000000000140000'
    ])
    expect(hexOf(t.requests[2]!.dataOut!)).toBe(
      hexOf(buildSetDataEncryptionPage({ algorithmIndex: 1, key }))
    )
    expect(hexOf(t.requests[3]!.dataOut!)).toBe(
      hexOf(buildSetDataEncryptionPage({ algorithmIndex: 1, key: null }))
    )
  })

  it('reports TapeAlert flags, density and volume statistics in status', async () => {
    // TapeAlert response page 12h: flag 20 (CLEAN_NOW) = byte 2, bit 0x10 of the 64-bit field.
    const alerts = good(h('12 00 000c  0000 03 08  00 00 10 00 00 00 00 00'))
    const counter = (code: number, value: number) => [
      code >> 8,
      code & 0xff,
      0x03,
      4,
      ...h(value.toString(16).padStart(8, '0'))
    ]
    const params = concat(
      counter(0x0000, 1),
      counter(0x0001, 7),
      counter(0x0016, 12_000_000),
      counter(0x0017, 5000),
      counter(0x0101, 3),
      counter(0x0102, 40)
    )
    const volume = good(concat([0x17, 0, 0, params.length], params))
    const t = new ScriptedTransport(INQUIRY, alerts, good(), MODE_SENSE, volume)
    const drive = await open(t)
    expect(await drive.status()).toEqual({
      loaded: true,
      'write-protect': false,
      'alert-flags': ['CLEAN_NOW'],
      density: 'LTO8',
      'bytes-used': 5000e6,
      capacity: 12e12,
      'medium-passes': 40,
      'volume-mounts': 7
    })
    expect(cdbs(t).slice(1)).toEqual([
      '4d005200000000200000',
      '000000000000',
      '1a000f00ff00',
      '4d005700000000200000'
    ])
  })

  it('never re-sends a write whose answer was lost, and then knows no position', async () => {
    const lost = new TransportError('test://lun1', 'connection reset', true)
    const t = new ScriptedTransport(...PREPARED, lost, NOT_SUPPORTED)
    const drive = await open(t)
    const err = await rejection(drive.writeBlock(new Uint8Array(262_144)))
    expect(err.code).toBe('transport')
    expect(err.message).toContain('may have run')
    expect(await rejection(drive.position())).toMatchObject({ code: 'position-lost' })
    expect(cdbs(t).filter((c) => c.startsWith('0a'))).toHaveLength(1)
  })
})
