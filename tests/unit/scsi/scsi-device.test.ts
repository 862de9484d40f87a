import { describe, expect, it } from 'vitest'
import { ScsiDevice, ScsiError } from '../../../main/core/devices/scsi/scsi-device'
import { TransportError } from '../../../main/core/devices/scsi/transport'
import { type Sense } from '../../../main/core/devices/scsi/sense'
import { logSenseCdb } from '../../../main/core/devices/scsi/spc-cdb'
import { readBlockCdb, rewindCdb } from '../../../main/core/devices/scsi/ssc-cdb'
import {
  BECOMING_READY,
  ScriptedTransport,
  UNIT_ATTENTION_RESET,
  check,
  fixedSense,
  good,
  status
} from './scripted-transport'
import { concat, h, hexOf, padded } from './hex'

/** A device whose sleeps advance a fake clock instantly, so retry timing is deterministic. */
function device(transport: ScriptedTransport, retry = {}) {
  let clock = 0
  const sleeps: number[] = []
  const unitAttentions: Sense[] = []
  const dev = new ScsiDevice(transport, {
    retry,
    onUnitAttention: (s) => unitAttentions.push(s),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms)
      clock += ms
    }
  })
  return { dev, sleeps, unitAttentions }
}

async function failure(p: Promise<unknown>): Promise<ScsiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e
  )
  if (!(err instanceof ScsiError)) throw new Error(`expected a ScsiError, got ${String(err)}`)
  return err
}

describe('ScsiDevice.run', () => {
  it('passes the CDB, allocation length and the per-command default timeout; returns GOOD data', async () => {
    const t = new ScriptedTransport(good(h('0102'), 4), good())
    const { dev } = device(t)
    const result = await dev.run({
      cdb: logSenseCdb({ page: 0x17, allocationLength: 6 }),
      dataInLength: 6
    })
    expect(result).toEqual({ data: h('0102'), residual: 4, sense: null })
    expect(t.requests).toEqual([
      {
        cdb: logSenseCdb({ page: 0x17, allocationLength: 6 }),
        dataInLength: 6,
        dataOut: undefined,
        timeoutMs: 60_000
      }
    ])
    await dev.run({ cdb: rewindCdb(), timeoutMs: 5 })
    expect(t.requests[1].timeoutMs).toBe(5)
  })

  it('retries UNIT ATTENTION (the command did not run) and reports it', async () => {
    const t = new ScriptedTransport(
      check(UNIT_ATTENTION_RESET),
      check(fixedSense(0x06, 0x28, 0x00)),
      good()
    )
    const { dev, unitAttentions, sleeps } = device(t)
    await dev.run({ cdb: rewindCdb() })
    expect(t.requests).toHaveLength(3)
    expect(unitAttentions.map((s) => [s.asc, s.ascq])).toEqual([
      [0x29, 0x00],
      [0x28, 0x00]
    ])
    expect(sleeps).toEqual([])
  })

  it('gives up after the configured number of UNIT ATTENTION retries', async () => {
    const t = new ScriptedTransport(
      check(UNIT_ATTENTION_RESET),
      check(UNIT_ATTENTION_RESET),
      check(UNIT_ATTENTION_RESET)
    )
    const err = await failure(device(t, { unitAttentionRetries: 2 }).dev.run({ cdb: rewindCdb() }))
    expect(t.requests).toHaveLength(3)
    expect(err.code).toBe('power-on-reset')
    expect(err.message).toBe(
      'test://lun1: REWIND failed: UNIT ATTENTION: Power on, reset, or bus device reset occurred (6/29/00) - still reported after 3 tries'
    )
  })

  it('waits out NOT READY, becoming ready (04/01) with a delay between tries', async () => {
    const t = new ScriptedTransport(
      check(BECOMING_READY),
      check(BECOMING_READY),
      check(BECOMING_READY),
      good()
    )
    const { dev, sleeps } = device(t)
    await dev.run({ cdb: rewindCdb() })
    expect(t.requests).toHaveLength(4)
    expect(sleeps).toEqual([1000, 1000, 1000])
  })

  it('stops waiting for becoming-ready at the timeout', async () => {
    const t = new ScriptedTransport(
      check(BECOMING_READY),
      check(BECOMING_READY),
      check(BECOMING_READY),
      good()
    )
    const { dev, sleeps } = device(t, {
      becomingReadyTimeoutMs: 2500,
      becomingReadyIntervalMs: 1000
    })
    const err = await failure(dev.run({ cdb: rewindCdb() }))
    expect(t.requests).toHaveLength(3)
    expect(sleeps).toEqual([1000, 1000])
    expect(err.code).toBe('becoming-ready')
    expect(err.message).toMatch(/still becoming ready after 2 s$/)
  })

  it('retries BUSY and TASK SET FULL with a delay, then gives up', async () => {
    const t = new ScriptedTransport(status(0x08), status(0x28), good())
    const { dev, sleeps } = device(t)
    await dev.run({ cdb: rewindCdb() })
    expect(t.requests).toHaveLength(3)
    expect(sleeps).toEqual([1000, 1000])

    const busy = new ScriptedTransport(status(0x08), status(0x08), status(0x08))
    const err = await failure(device(busy, { busyRetries: 2 }).dev.run({ cdb: rewindCdb() }))
    expect(busy.requests).toHaveLength(3)
    expect(err.code).toBe('busy')
  })

  it('does not retry anything else: no medium, medium error, other NOT READY, reservation conflict', async () => {
    for (const [response, code] of [
      [check(fixedSense(0x02, 0x3a, 0x00)), 'no-medium'],
      [check(fixedSense(0x02, 0x04, 0x02)), 'not-ready'],
      [check(fixedSense(0x03, 0x11, 0x00)), 'medium-error'],
      [status(0x18), 'reservation-conflict'],
      [status(0x40), 'task-aborted'],
      [check(''), 'no-sense-data']
    ] as const) {
      const t = new ScriptedTransport(response, good())
      const err = await failure(device(t).dev.run({ cdb: rewindCdb() }))
      expect([err.code, t.requests.length]).toEqual([code, 1])
    }
  })

  it('never retries after a TransportError: the command may have moved the tape', async () => {
    const lost = new TransportError('test://lun1', 'connection reset', true)
    const t = new ScriptedTransport(lost, good())
    const err = await device(t)
      .dev.run({ cdb: readBlockCdb(262144), dataInLength: 262144 })
      .catch((e: unknown) => e)
    expect(err).toBe(lost)
    expect(t.requests).toHaveLength(1)
    expect(t.remaining).toBe(1)
  })

  it('says "not supported by this drive" for ILLEGAL REQUEST 20/00', async () => {
    const t = new ScriptedTransport(check(fixedSense(0x05, 0x20, 0x00)))
    const err = await failure(
      device(t).dev.run({ cdb: logSenseCdb({ page: 0x2e }), dataInLength: 8192 })
    )
    expect(err).toMatchObject({
      code: 'not-supported',
      command: 'LOG SENSE',
      address: 'test://lun1',
      status: 2
    })
    expect(err.message).toBe(
      'test://lun1: LOG SENSE failed: not supported by this drive (ILLEGAL REQUEST: Invalid command operation code (5/20/00))'
    )
  })

  it('returns accepted sense with its Data-In; otherwise Data-In of a CHECK CONDITION is dropped', async () => {
    const junk = new Uint8Array(64).fill(0xee)
    const filemark = check(fixedSense(0x80, 0x00, 0x01, 64), junk)
    const accepted = await device(new ScriptedTransport(filemark)).dev.run({
      cdb: readBlockCdb(64),
      dataInLength: 64,
      accept: (s) => s.filemark
    })
    expect(accepted.sense?.filemark).toBe(true)
    expect(accepted.data).toBe(junk)
    const err = await failure(
      device(new ScriptedTransport(filemark)).dev.run({ cdb: readBlockCdb(64), dataInLength: 64 })
    )
    expect(err.code).toBe('filemark')
    expect(Object.values(err)).not.toContain(junk)
  })
})

describe('ScsiDevice convenience commands', () => {
  it('inquiry and serial number (tgt answers)', async () => {
    const std = concat(
      h('01 80 05 02 5b 00 00 02'),
      padded('IBM', 8),
      padded('ULT3580-TD8', 16),
      padded('0001', 4)
    )
    const serial = concat(h('01 80 00 24'), Buffer.from(' '.repeat(29) + 'DRV0001'))
    const t = new ScriptedTransport(check(UNIT_ATTENTION_RESET), good(std), good(serial))
    const { dev } = device(t)
    expect(await dev.inquiry()).toMatchObject({
      deviceType: 1,
      vendor: 'IBM',
      product: 'ULT3580-TD8'
    })
    expect(await dev.serialNumber()).toBe('DRV0001')
    expect(t.requests.map((r) => hexOf(r.cdb))).toEqual([
      '120000006000',
      '120000006000',
      '12018000ff00'
    ])
  })

  it('MODE SENSE falls back from (10) to (6) when the device does not know (10)', async () => {
    const t = new ScriptedTransport(
      check(fixedSense(0x05, 0x20, 0x00)),
      good(h('0b 00 10 08  00 000000 00 000000'))
    )
    const params = await device(t).dev.modeSense({ page: 0x10 })
    expect(params).toMatchObject({
      form: 6,
      bufferedMode: 1,
      blockDescriptors: [{ densityCode: 0, blockLength: 0 }]
    })
    expect(t.requests.map((r) => [r.cdb[0], r.dataInLength])).toEqual([
      [0x5a, 4096],
      [0x1a, 255]
    ])
  })

  it('MODE SELECT sends the parameter list with a matching CDB', async () => {
    const t = new ScriptedTransport(good())
    await device(t).dev.modeSelect(6, h('00001008 0000000000000000'))
    expect(hexOf(t.requests[0].cdb)).toBe('151000000c00')
    expect(hexOf(t.requests[0].dataOut!)).toBe('000010080000000000000000')
  })

  it('REQUEST SENSE returns the decoded sense; REPORT LUNS the LUN numbers', async () => {
    const t = new ScriptedTransport(
      good(h(fixedSense(0x00, 0x00, 0x00))),
      good(h('00000010 00000000 0000000000000000 0003000000000000'))
    )
    const { dev } = device(t)
    expect(await dev.requestSense()).toMatchObject({ key: 0, asc: 0, deferred: false })
    expect(await dev.reportLuns()).toEqual([0, 3])
  })
})
