/**
 * The TypeScript iSCSI initiator against a real tgtd virtual tape library (scripts/tgt-vtl.sh):
 * discovery, login, tape and changer commands, multi-burst writes, read-back, and what happens when
 * the target stops answering or dies. The few CDBs are built inline (the SCSI command layer lives
 * elsewhere); sense is fixed format as tgt sends it.
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ScsiStatus,
  TransportError,
  type ScsiResponse,
  type ScsiTransport
} from '../../main/core/devices/scsi/transport'
import { listLuns, sendTargets } from '../../main/core/devices/scsi/iscsi/discovery'
import { openIscsiTransport } from '../../main/core/devices/scsi/iscsi/initiator'
import { IscsiSession } from '../../main/core/devices/scsi/iscsi/session'
import { startTgtRig, type TgtRig } from '../helpers/tgt'

const T = 30_000
const KiB = 1024

// ---- inline CDBs (SPC/SSC/SMC layouts, reference/scsi.md §1-3) ----------------------------------
const cdb = (...bytes: number[]) => Uint8Array.from(bytes)
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff]
/** TEST UNIT READY */
const TUR = cdb(0x00, 0, 0, 0, 0, 0)
/** REWIND, IMMED 0 */
const REWIND = cdb(0x01, 0, 0, 0, 0, 0)
/** INQUIRY, standard data, allocation 96 */
const INQUIRY = cdb(0x12, 0, 0, 0, 96, 0)
/** REPORT LUNS, allocation 4096 (bytes 6-9) */
const REPORT_LUNS = cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0)
/** READ(6) variable block (FIXED 0, SILI 0), transfer length = buffer size in bytes */
const read6 = (length: number) => cdb(0x08, 0, ...u24(length), 0)
/** WRITE(6) variable block: one block of `length` bytes */
const write6 = (length: number) => cdb(0x0a, 0, ...u24(length), 0)
/** WRITE FILEMARKS(6), IMMED 0 */
const writeFilemarks = (count: number) => cdb(0x10, 0, ...u24(count), 0)
/** SPACE(6) code 1 = filemarks */
const spaceFilemarks = (count: number) => cdb(0x11, 1, ...u24(count), 0)
/** READ ELEMENT STATUS: VOLTAG, element type, start, count, allocation (24-bit) */
const readElementStatus = (type: number, start: number, count: number, alloc: number) =>
  cdb(0xb8, 0x10 | type, ...u16(start), ...u16(count), 0, ...u24(alloc), 0, 0)
/** MOVE MEDIUM: transport element, source, destination */
const moveMedium = (transport: number, from: number, to: number) =>
  cdb(0xa5, 0, ...u16(transport), ...u16(from), ...u16(to), 0, 0, 0, 0)

/** Fixed-format sense fields. */
function sense(response: ScsiResponse) {
  const s = Buffer.from(response.sense)
  return {
    key: s[2] & 0x0f,
    filemark: (s[2] & 0x80) !== 0,
    eom: (s[2] & 0x40) !== 0,
    ili: (s[2] & 0x20) !== 0,
    info: s.length >= 7 ? s.readInt32BE(3) : 0,
    asc: s[12],
    ascq: s[13]
  }
}

const run = (
  t: ScsiTransport,
  c: Uint8Array,
  extra: { dataInLength?: number; dataOut?: Uint8Array; timeoutMs?: number } = {}
) => t.execute({ cdb: c, timeoutMs: T, ...extra })

async function good(
  t: ScsiTransport,
  c: Uint8Array,
  extra: Parameters<typeof run>[2] = {}
): Promise<ScsiResponse> {
  const r = await run(t, c, extra)
  if (r.status !== ScsiStatus.GOOD) {
    throw new Error(
      `CDB ${Buffer.from(c).toString('hex')}: status ${r.status}, sense ${Buffer.from(r.sense).toString('hex')}`
    )
  }
  return r
}

describe('iSCSI initiator against tgtd', () => {
  let rig: TgtRig
  let drive: ScsiTransport
  let changer: ScsiTransport
  const blocks = {
    a: randomBytes(256 * KiB),
    b: randomBytes(1024 * KiB),
    c: randomBytes(100_000)
  }

  beforeAll(async () => {
    rig = await startTgtRig()
  })

  afterAll(async () => {
    await drive?.close().catch(() => undefined)
    await changer?.close().catch(() => undefined)
    await rig?.stop()
  })

  const lunOptions = (lun: number) => ({ host: rig.host, port: rig.port, target: rig.target, lun })

  it('discovers the library target and its loopback portal with SendTargets', async () => {
    const targets = await sendTargets({ host: rig.host, port: rig.port })
    expect(targets).toEqual([
      { target: rig.target, portals: [{ host: '127.0.0.1', port: rig.port, group: 1 }] }
    ])
  })

  it("logs in with tgt's limits: no MaxRecvDataSegmentLength ⇒ 8192, bursts 64 KiB / 256 KiB", async () => {
    const session = await IscsiSession.open({
      host: rig.host,
      port: rig.port,
      initiatorName: 'iqn.2024-01.io.tapedeck.test:negotiation',
      targetName: rig.target,
      sessionType: 'Normal',
      isid: Buffer.from([0x80, 1, 2, 3, 4, 5]),
      address: 'negotiation'
    })
    try {
      expect(session.negotiated).toMatchObject({
        maxSendDataSegmentLength: 8192,
        initialR2T: true,
        immediateData: true,
        firstBurstLength: 65536,
        maxBurstLength: 262144,
        errorRecoveryLevel: 0
      })
    } finally {
      await session.logout()
    }
  })

  it('fails the login clearly for an unknown target name', async () => {
    const error = await openIscsiTransport({
      ...lunOptions(1),
      target: 'iqn.2024-01.invalid:nothing'
    }).catch((e) => e)
    expect(error).toBeInstanceOf(TransportError)
    expect(error.message).toMatch(/target not found/)
    expect(error.mayHaveRun).toBe(false)
  })

  it('logs in with CHAP when the target requires it, and refuses a wrong secret', async () => {
    const adm = (op: string, extra: string[] = []) =>
      rig.tgtadm(['--lld', 'iscsi', '--op', op, '--mode', 'account', ...extra])
    await adm('new', ['--user', 'tapedeck', '--password', 'opensesame12'])
    await adm('bind', ['--tid', '1', '--user', 'tapedeck'])
    const options = { ...lunOptions(1), initiatorName: 'iqn.2024-01.io.tapedeck.test:chap' }
    try {
      const noCredentials = await openIscsiTransport(options).catch((e) => e)
      expect(noCredentials).toBeInstanceOf(TransportError)
      expect(noCredentials.message).toMatch(/authentication failed .*may require CHAP credentials/)
      const wrong = await openIscsiTransport({
        ...options,
        chap: { user: 'tapedeck', secret: 'wrongwrong12' }
      }).catch((e) => e)
      expect(wrong).toBeInstanceOf(TransportError)
      expect(wrong.message).toMatch(/authentication failed/)
      const transport = await openIscsiTransport({
        ...options,
        chap: { user: 'tapedeck', secret: 'opensesame12' }
      })
      const ua = await run(transport, TUR)
      expect(sense(ua)).toMatchObject({ key: 0x06, asc: 0x29 })
      await transport.close()
    } finally {
      await adm('unbind', ['--tid', '1', '--user', 'tapedeck'])
    }
  })

  it('answers UNIT ATTENTION 29/00 first on each LUN, then the real state', async () => {
    drive = await openIscsiTransport(lunOptions(rig.driveLuns[0]))
    changer = await openIscsiTransport(lunOptions(rig.changerLun))
    for (const t of [drive, changer]) {
      const first = await run(t, TUR)
      expect(first.status).toBe(ScsiStatus.CHECK_CONDITION)
      expect(sense(first)).toMatchObject({ key: 0x06, asc: 0x29, ascq: 0x00 })
    }
    const empty = await run(drive, TUR)
    expect(empty.status).toBe(ScsiStatus.CHECK_CONDITION)
    expect(sense(empty)).toMatchObject({ key: 0x02, asc: 0x3a, ascq: 0x00 }) // no medium
    expect((await run(changer, TUR)).status).toBe(ScsiStatus.GOOD)
  })

  it('reads INQUIRY of the drive and changer LUNs', async () => {
    const d = Buffer.from((await good(drive, INQUIRY, { dataInLength: 96 })).data)
    expect(d[0] & 0x1f).toBe(0x01)
    expect(d.subarray(8, 16).toString('latin1').trim()).toBe('IBM')
    expect(d.subarray(16, 32).toString('latin1').trim()).toBe('ULT3580-TD8')
    const c = Buffer.from((await good(changer, INQUIRY, { dataInLength: 96 })).data)
    expect(c[0] & 0x1f).toBe(0x08)
    expect(c.subarray(8, 16).toString('latin1').trim()).toBe('STK')
    expect(c.subarray(16, 32).toString('latin1').trim()).toBe('L700')
  })

  it('reports the LUNs (REPORT LUNS) and lists them with identity', async () => {
    const r = Buffer.from((await good(changer, REPORT_LUNS, { dataInLength: 4096 })).data)
    const count = r.readUInt32BE(0) / 8
    const luns = Array.from({ length: count }, (_, i) => r[8 + i * 8 + 1])
    expect(luns).toEqual([0, 1, 2, 3])

    const listed = await listLuns({ host: rig.host, port: rig.port, target: rig.target })
    expect(
      listed
        .filter((l) => l.kind !== 'other')
        .map(({ lun, kind, vendor, model, serial, path }) => ({
          lun,
          kind,
          vendor,
          model,
          serial,
          path
        }))
    ).toEqual([
      {
        lun: 1,
        kind: 'tape',
        vendor: 'IBM',
        model: 'ULT3580-TD8',
        serial: 'DRV0001',
        path: `iscsi://127.0.0.1:${rig.port}/${rig.target}/1`
      },
      {
        lun: 2,
        kind: 'tape',
        vendor: 'IBM',
        model: 'ULT3580-TD8',
        serial: 'DRV0002',
        path: `iscsi://127.0.0.1:${rig.port}/${rig.target}/2`
      },
      {
        lun: 3,
        kind: 'changer',
        vendor: 'STK',
        model: 'L700',
        serial: 'LIB0001',
        path: `iscsi://127.0.0.1:${rig.port}/${rig.target}/3`
      }
    ])
  })

  it('reads element status with barcodes and moves a tape from slot 1000 into drive 500', async () => {
    const status = Buffer.from(
      (await good(changer, readElementStatus(2, 1000, 12, 4096), { dataInLength: 4096 })).data
    )
    const text = status.toString('latin1')
    expect(text).toContain('TEST01L8')
    expect(text).toContain('TEST08L8')
    expect(text).toContain('CLN001CU')
    // First storage descriptor (after 8-byte header + 8-byte page header): address 1000, FULL.
    expect(status.readUInt16BE(16)).toBe(1000)
    expect(status[18] & 0x01).toBe(1)

    await good(changer, moveMedium(1, 1000, 500))
    expect((await run(changer, moveMedium(1, 1001, 500))).status).toBe(ScsiStatus.CHECK_CONDITION) // drive full
    expect((await good(drive, TUR)).status).toBe(ScsiStatus.GOOD)
  })

  it('writes 256 KiB and 1 MiB blocks (immediate data + R2T bursts) and reads them back byte-identical', async () => {
    await good(drive, write6(blocks.a.length), { dataOut: blocks.a })
    await good(drive, write6(blocks.b.length), { dataOut: blocks.b })
    await good(drive, writeFilemarks(1))
    await good(drive, write6(blocks.c.length), { dataOut: blocks.c })
    await good(drive, writeFilemarks(1))
    await good(drive, REWIND)

    // Read with L == block size: tgt 1.0.85 corrupts the residual/data when L > B (reference §0.2).
    for (const block of [blocks.a, blocks.b]) {
      const r = await good(drive, read6(block.length), { dataInLength: block.length })
      expect(r.residual).toBe(0)
      expect(Buffer.from(r.data).equals(block)).toBe(true)
    }
    const atFilemark = await run(drive, read6(blocks.a.length), { dataInLength: blocks.a.length })
    expect(atFilemark.status).toBe(ScsiStatus.CHECK_CONDITION)
    expect(sense(atFilemark)).toMatchObject({ key: 0x00, filemark: true, asc: 0x00, ascq: 0x01 })
    const c = await good(drive, read6(blocks.c.length), { dataInLength: blocks.c.length })
    expect(Buffer.from(c.data).equals(blocks.c)).toBe(true)
  })

  it('reports a short block via ILI sense with INFO = L - B', async () => {
    await good(drive, REWIND)
    await good(drive, spaceFilemarks(1))
    // L = 2B: outside tgt's B < L < 2B truncation window.
    const r = await run(drive, read6(200_000), { dataInLength: 200_000 })
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION)
    expect(sense(r)).toMatchObject({ key: 0x00, ili: true, info: 100_000 })
  })

  it('measures 256 KiB block throughput over loopback', async () => {
    await good(drive, REWIND)
    await good(drive, spaceFilemarks(2)) // after the two files above
    const count = 64
    const block = randomBytes(256 * KiB)
    let started = performance.now()
    for (let i = 0; i < count; i++) {
      block.writeUInt32BE(i, 0)
      await good(drive, write6(block.length), { dataOut: block })
    }
    await good(drive, writeFilemarks(1))
    const writeSeconds = (performance.now() - started) / 1000
    await good(drive, REWIND)
    await good(drive, spaceFilemarks(2))
    started = performance.now()
    for (let i = 0; i < count; i++) {
      const r = await good(drive, read6(block.length), { dataInLength: block.length })
      block.writeUInt32BE(i, 0)
      expect(Buffer.from(r.data).equals(block)).toBe(true)
    }
    const readSeconds = (performance.now() - started) / 1000
    const mb = (count * block.length) / 1e6
    console.log(
      `tgt loopback, ${count} × 256 KiB: write ${(mb / writeSeconds).toFixed(1)} MB/s, read ${(mb / readSeconds).toFixed(1)} MB/s`
    )
  })

  it('fails a command whose answer never comes with mayHaveRun, never re-sends it, and fails the one queued behind it', async () => {
    await good(drive, REWIND)
    await good(drive, spaceFilemarks(3)) // end of data
    const marker = Buffer.alloc(4000, 0x5a) // small enough to travel entirely as immediate data
    process.kill(rig.pid, 'SIGSTOP')
    let first: unknown
    let second: unknown
    try {
      ;[first, second] = await Promise.all([
        run(drive, write6(marker.length), { dataOut: marker, timeoutMs: 1500 }).catch((e) => e),
        run(drive, TUR).catch((e) => e)
      ])
    } finally {
      process.kill(rig.pid, 'SIGCONT')
    }
    expect(first).toBeInstanceOf(TransportError)
    expect((first as TransportError).mayHaveRun).toBe(true)
    expect((first as TransportError).message).toMatch(/timed out after 1500 ms/)
    expect(second).toBeInstanceOf(TransportError)
    expect((second as TransportError).mayHaveRun).toBe(false)

    // The next command logs in again: a new session, so UNIT ATTENTION 29/00 comes first.
    const ua = await run(drive, TUR)
    expect(sense(ua)).toMatchObject({ key: 0x06, asc: 0x29 })
    // The 4000-byte block is on tape at most once (tgt may have run it after SIGCONT).
    await good(drive, REWIND)
    await good(drive, spaceFilemarks(3))
    let copies = 0
    for (;;) {
      const r = await run(drive, read6(marker.length), { dataInLength: marker.length })
      if (r.status !== ScsiStatus.GOOD) break
      expect(Buffer.from(r.data).equals(marker)).toBe(true)
      copies++
    }
    expect(copies).toBeLessThanOrEqual(1)
  })

  it('logs out: no session remains on the target', async () => {
    await drive.close()
    await changer.close()
    await expect(drive.execute({ cdb: TUR, timeoutMs: T })).rejects.toThrow(/closed/)
    const show = await rig.tgtadm(['--lld', 'iscsi', '--op', 'show', '--mode', 'target'])
    expect(show).toContain('I_T nexus information:')
    expect(show).not.toMatch(/I_T nexus: \d+/)
  })

  it('fails a running command with mayHaveRun when tgtd dies, and the next login fails cleanly', async () => {
    drive = await openIscsiTransport(lunOptions(rig.driveLuns[1]))
    process.kill(rig.pid, 'SIGSTOP')
    const pending = run(drive, TUR, { timeoutMs: 20_000 }).catch((e) => e)
    await new Promise((resolve) => setTimeout(resolve, 200))
    process.kill(rig.pid, 'SIGKILL')
    const error = await pending
    expect(error).toBeInstanceOf(TransportError)
    expect(error.mayHaveRun).toBe(true)
    expect(error.message).toMatch(/connection/)
    // SIGKILL is not instant: until tgtd is gone its listening socket still completes handshakes
    await expect.poll(() => portRefuses(rig.host, rig.port), { timeout: 10_000 }).toBe(true)
    const next = await run(drive, TUR).catch((e) => e)
    expect(next).toBeInstanceOf(TransportError)
    expect(next.mayHaveRun).toBe(false)
    expect(next.message).toMatch(/cannot connect/)
  })
})

/** True when nothing listens on host:port any more (the connection is refused). */
function portRefuses(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
  })
}
