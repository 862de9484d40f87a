/**
 * The session state machine against a scripted in-process target on 127.0.0.1: what tgt never
 * does (small MaxRecvDataSegmentLength, split Data-In, NOP-In pings, a closed CmdSN window,
 * asynchronous logout requests, Reject) and what it does only by accident (connection loss).
 */
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TransportError } from '../../../main/core/devices/scsi/transport'
import { openIscsiTransport } from '../../../main/core/devices/scsi/iscsi/initiator'
import {
  NO_TAG,
  PduReader,
  decodeTextKeys,
  encodeTextKeys,
  type Pdu,
  type TextKeys
} from '../../../main/core/devices/scsi/iscsi/pdu'
import { IscsiSession } from '../../../main/core/devices/scsi/iscsi/session'

const TARGET = 'iqn.2024-01.test:fake'

/** One initiator connection as seen by the fake target. */
class Peer {
  private readonly reader = new PduReader()
  private readonly queue: Pdu[] = []
  private waiter: ((pdu: Pdu) => void) | null = null
  statSN = 0
  maxCmdSN: number

  constructor(
    readonly socket: Socket,
    private readonly operationalAnswer: TextKeys,
    window: number
  ) {
    this.maxCmdSN = window
    socket.on('data', (chunk: Buffer) => {
      for (const pdu of this.reader.push(chunk)) {
        if (this.waiter) {
          const w = this.waiter
          this.waiter = null
          w(pdu)
        } else this.queue.push(pdu)
      }
    })
  }

  next(): Promise<Pdu> {
    const queued = this.queue.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve) => (this.waiter = resolve))
  }

  /** Answers the two login requests (security, operational). */
  async acceptLogin(): Promise<TextKeys> {
    const first = await this.next()
    const keys = decodeTextKeys(first.data)
    this.send(
      0x23,
      0x81,
      { itt: first.bhs.readUInt32BE(16), statSN: this.statSN++ },
      encodeTextKeys([['AuthMethod', 'None']])
    )
    const second = await this.next()
    this.send(
      0x23,
      0x87,
      { itt: second.bhs.readUInt32BE(16), statSN: this.statSN++, tsih: 1 },
      encodeTextKeys(this.operationalAnswer)
    )
    return keys
  }

  /** Sends a target PDU; fields at their RFC 7143 offsets. */
  send(
    opcode: number,
    flags: number,
    f: {
      itt?: number
      ttt?: number
      statSN?: number
      tsih?: number
      b2?: number
      b3?: number
      lun?: Buffer
      at36?: number
      at40?: number
      at44?: number
    },
    data: Buffer = Buffer.alloc(0)
  ): void {
    const bhs = Buffer.alloc(48)
    bhs[0] = opcode
    bhs[1] = flags
    bhs[2] = f.b2 ?? 0
    bhs[3] = f.b3 ?? 0
    bhs.writeUIntBE(data.length, 5, 3)
    f.lun?.copy(bhs, 8)
    if (f.tsih !== undefined) bhs.writeUInt16BE(f.tsih, 14)
    bhs.writeUInt32BE(f.itt ?? NO_TAG, 16)
    bhs.writeUInt32BE(f.ttt ?? NO_TAG, 20)
    bhs.writeUInt32BE(f.statSN ?? this.statSN, 24)
    bhs.writeUInt32BE(1, 28)
    bhs.writeUInt32BE(this.maxCmdSN, 32)
    bhs.writeUInt32BE(f.at36 ?? 0, 36)
    bhs.writeUInt32BE(f.at40 ?? 0, 40)
    bhs.writeUInt32BE(f.at44 ?? 0, 44)
    const pad = Buffer.alloc((4 - (data.length % 4)) % 4)
    this.socket.write(Buffer.concat([bhs, data, pad]))
  }

  /** SCSI Response with status (and sense) for `itt`. */
  respond(itt: number, status = 0, sense?: Buffer): void {
    const data = sense ? Buffer.concat([Buffer.from([0, sense.length]), sense]) : undefined
    this.send(0x21, 0x80, { itt, statSN: this.statSN++, b3: status }, data)
  }
}

class FakeTarget {
  private server!: Server
  private readonly peers: Peer[] = []
  private readonly sockets: Socket[] = []
  private waiters: Array<(peer: Peer) => void> = []
  port = 0

  constructor(
    private readonly operationalAnswer: TextKeys = [],
    private readonly window = 8
  ) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.push(socket)
      const peer = new Peer(socket, this.operationalAnswer, this.window)
      const waiter = this.waiters.shift()
      if (waiter) waiter(peer)
      else this.peers.push(peer)
    })
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
  }

  /** The next connection, with its login already answered. */
  async peer(): Promise<Peer> {
    const peer =
      this.peers.shift() ?? (await new Promise<Peer>((resolve) => this.waiters.push(resolve)))
    await peer.acceptLogin()
    return peer
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

const itt = (pdu: Pdu) => pdu.bhs.readUInt32BE(16)
const opcode = (pdu: Pdu) => pdu.bhs[0] & 0x3f
const TUR = Uint8Array.from([0, 0, 0, 0, 0, 0])

describe('iSCSI session against a scripted target', () => {
  let target: FakeTarget
  let session: IscsiSession | undefined

  async function open(answer: TextKeys = [], window = 8, nopIntervalMs?: number): Promise<Peer> {
    target = new FakeTarget(answer, window)
    await target.start()
    const peer = target.peer()
    session = await IscsiSession.open({
      host: '127.0.0.1',
      port: target.port,
      initiatorName: 'iqn.2024-01.test:init',
      targetName: TARGET,
      sessionType: 'Normal',
      isid: Buffer.from('800000000001', 'hex'),
      address: 'fake',
      nopIntervalMs
    })
    return peer
  }

  beforeEach(() => {
    session = undefined
  })

  afterEach(async () => {
    session?.drop('test over')
    await target?.stop()
  })

  it('sends immediate data, then answers each R2T with Data-Out PDUs within the target MaxRecvDataSegmentLength', async () => {
    const peer = await open([
      ['MaxRecvDataSegmentLength', '4096'],
      ['FirstBurstLength', '8192'],
      ['MaxBurstLength', '32768']
    ])
    const data = Buffer.alloc(100_000)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff
    const done = session!.execute(
      1,
      { cdb: Uint8Array.from([0x0a, 0, 1, 0x86, 0xa0, 0]), dataOut: data, timeoutMs: 5000 },
      'fake/1'
    )

    const command = await peer.next()
    expect(opcode(command)).toBe(0x01)
    expect(command.bhs[1]).toBe(0xa1) // F, W, SIMPLE
    expect(command.bhs.readUInt32BE(20)).toBe(100_000)
    expect(command.data.length).toBe(4096) // min(EDTL, FirstBurstLength, target MRDSL)
    const received = Buffer.alloc(data.length)
    command.data.copy(received, 0)

    let ttt = 0x100
    for (let offset = 4096; offset < data.length; offset += 32768, ttt++) {
      const length = Math.min(32768, data.length - offset)
      peer.send(0x31, 0x80, {
        itt: itt(command),
        ttt,
        at36: ttt - 0x100,
        at40: offset,
        at44: length
      })
      let expected = offset
      for (let dataSN = 0; expected < offset + length; dataSN++) {
        const out = await peer.next()
        expect(opcode(out)).toBe(0x05)
        expect(out.bhs.readUInt32BE(20)).toBe(ttt)
        expect(out.bhs.readUInt32BE(36)).toBe(dataSN)
        expect(out.bhs.readUInt32BE(40)).toBe(expected)
        expect(out.data.length).toBeLessThanOrEqual(4096)
        out.data.copy(received, expected)
        expected += out.data.length
        expect((out.bhs[1] & 0x80) !== 0).toBe(expected === offset + length) // F on the last PDU only
      }
    }
    expect(received.equals(data)).toBe(true)
    peer.respond(itt(command))
    expect(await done).toMatchObject({ status: 0, residual: 0 })
  })

  it('reassembles Data-In by buffer offset and takes status and residual from the last Data-In', async () => {
    const peer = await open()
    const done = session!.execute(
      2,
      { cdb: Uint8Array.from([0x08, 0, 0, 0x27, 0x10, 0]), dataInLength: 10_000, timeoutMs: 5000 },
      'fake/2'
    )
    const command = await peer.next()
    expect(command.bhs[1]).toBe(0xc1)
    expect(command.bhs.subarray(8, 16)).toEqual(Buffer.from('0002000000000000', 'hex'))
    const payload = Buffer.alloc(9000, 0x33)
    payload.fill(0x44, 4000)
    peer.send(0x25, 0x00, { itt: itt(command), at36: 0, at40: 0 }, payload.subarray(0, 4000))
    peer.send(0x25, 0x00, { itt: itt(command), at36: 1, at40: 4000 }, payload.subarray(4000, 8000))
    // F | U | S, status GOOD, residual 1000
    peer.send(
      0x25,
      0x83,
      { itt: itt(command), statSN: peer.statSN++, at36: 2, at40: 8000, at44: 1000 },
      payload.subarray(8000)
    )
    const response = await done
    expect(response.status).toBe(0)
    expect(response.residual).toBe(1000)
    expect(Buffer.from(response.data).equals(payload)).toBe(true)
  })

  it('delivers CHECK CONDITION sense from the SCSI Response and a later command carries the advanced ExpStatSN', async () => {
    const peer = await open()
    const sense = Buffer.from('70000600000000000a00000000290000000000', 'hex').subarray(0, 18)
    const first = session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1')
    const c1 = await peer.next()
    peer.respond(itt(c1), 0x02, sense)
    expect(await first).toMatchObject({ status: 2, residual: 0 })
    expect(Buffer.from((await first).sense)).toEqual(sense)
    const second = session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1')
    const c2 = await peer.next()
    expect(c2.bhs.readUInt32BE(24)).toBe(c1.bhs.readUInt32BE(24) + 1) // CmdSN
    expect(c2.bhs.readUInt32BE(28)).toBe(peer.statSN) // ExpStatSN
    peer.respond(itt(c2))
    await second
  })

  it('drops the connection when Data-In overruns the allocation length', async () => {
    const peer = await open()
    const done = session!
      .execute(1, { cdb: TUR, dataInLength: 100, timeoutMs: 5000 }, 'fake/1')
      .catch((e) => e)
    const command = await peer.next()
    peer.send(0x25, 0x00, { itt: itt(command), at40: 96 }, Buffer.alloc(8))
    const error = await done
    expect(error).toBeInstanceOf(TransportError)
    expect(error.message).toMatch(
      /protocol error: Data-In for bytes 96-104 exceeds the allocation length 100/
    )
    expect(error.mayHaveRun).toBe(true)
    await session!.closed
  })

  it('answers a NOP-In ping with a NOP-Out echoing its tag and LUN', async () => {
    const peer = await open()
    const done = session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1')
    const command = await peer.next()
    peer.send(0x20, 0x80, { itt: NO_TAG, ttt: 0x55, lun: Buffer.from('0001000000000000', 'hex') })
    const nop = await peer.next()
    expect(opcode(nop)).toBe(0x00)
    expect(nop.bhs[0]).toBe(0x40) // immediate
    expect(itt(nop)).toBe(NO_TAG)
    expect(nop.bhs.readUInt32BE(20)).toBe(0x55)
    expect(nop.bhs.subarray(8, 16)).toEqual(Buffer.from('0001000000000000', 'hex'))
    peer.respond(itt(command))
    await done
  })

  it('holds commands until MaxCmdSN opens the window', async () => {
    const peer = await open([], 1) // ExpCmdSN 1, MaxCmdSN 1: one command at a time
    const a = session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1')
    const b = session!.execute(2, { cdb: TUR, timeoutMs: 5000 }, 'fake/2')
    const first = await peer.next()
    expect(first.bhs.readUInt32BE(24)).toBe(1)
    const early = await Promise.race([
      peer.next(),
      new Promise((r) => setTimeout(() => r('nothing'), 100))
    ])
    expect(early).toBe('nothing')
    peer.maxCmdSN = 2
    peer.respond(itt(first))
    const second = await peer.next()
    expect(second.bhs.readUInt32BE(24)).toBe(2)
    expect(second.bhs[9]).toBe(2)
    peer.respond(itt(second))
    await Promise.all([a, b])
  })

  it('logs out when the target asks to and fails the command still running, saying it may have run', async () => {
    const peer = await open()
    const done = session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1').catch((e) => e)
    await peer.next()
    peer.send(0x32, 0x80, { itt: NO_TAG, statSN: peer.statSN++, at36: 0x01000002 }) // event 1, Parameter3 2 s
    const logout = await peer.next()
    expect(opcode(logout)).toBe(0x06)
    expect(logout.bhs[1]).toBe(0x80) // close session
    expect(session!.usable).toBe(false)
    peer.send(0x26, 0x80, { itt: itt(logout), statSN: peer.statSN++ })
    const error = await done
    expect(error).toBeInstanceOf(TransportError)
    expect(error.mayHaveRun).toBe(true)
    expect(error.message).toMatch(/target requested logout; the command may have run/)
    await session!.closed
  })

  it('fails the sent command with mayHaveRun and the queued one without when the connection drops', async () => {
    const peer = await open([], 1)
    const a = session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1').catch((e) => e)
    const b = session!.execute(2, { cdb: TUR, timeoutMs: 5000 }, 'fake/2').catch((e) => e)
    await peer.next()
    peer.socket.destroy()
    const [ea, eb] = await Promise.all([a, b])
    expect(ea).toMatchObject({
      mayHaveRun: true,
      message: expect.stringMatching(
        /^fake\/1: connection closed by the target; the command may have run/
      )
    })
    expect(eb).toMatchObject({
      mayHaveRun: false,
      message: expect.stringMatching(/the command was not sent/)
    })
    await expect(session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1')).rejects.toThrow(
      /connection closed by the target/
    )
  })

  it('times out a command, dropping the connection', async () => {
    const peer = await open()
    const started = Date.now()
    const error = await session!.execute(1, { cdb: TUR, timeoutMs: 300 }, 'fake/1').catch((e) => e)
    expect(await peer.next()).toBeDefined()
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(error).toMatchObject({
      mayHaveRun: true,
      message: 'fake/1: command timed out after 300 ms'
    })
    await session!.closed
  })

  it('pings a silent target while a command runs and drops the connection when the ping goes unanswered', async () => {
    const peer = await open([], 8, 150)
    const done = session!.execute(1, { cdb: TUR, timeoutMs: 60_000 }, 'fake/1').catch((e) => e)
    await peer.next() // the command; the target stays silent
    const ping = await peer.next()
    expect(ping.bhs[0]).toBe(0x40)
    expect(itt(ping)).not.toBe(NO_TAG)
    expect(ping.bhs.readUInt32BE(20)).toBe(NO_TAG)
    expect(await done).toMatchObject({
      mayHaveRun: true,
      message: expect.stringMatching(/did not answer a NOP-Out within 150 ms/)
    })
  })

  it('fails a rejected command as not run', async () => {
    const peer = await open()
    const done = session!.execute(1, { cdb: TUR, timeoutMs: 5000 }, 'fake/1').catch((e) => e)
    const command = await peer.next()
    peer.send(0x3f, 0x80, { itt: NO_TAG, statSN: peer.statSN++, b2: 0x09 }, command.bhs)
    expect(await done).toMatchObject({
      mayHaveRun: false,
      message: expect.stringMatching(/rejected the PDU \(reason 0x9\)/)
    })
  })
})

describe('iSCSI LUN transport against a scripted target', () => {
  let target: FakeTarget

  beforeEach(async () => {
    target = new FakeTarget()
    await target.start()
  })

  afterEach(async () => {
    await target.stop()
  })

  it('logs in again after a connection loss and never re-sends the lost command', async () => {
    const options = {
      host: '127.0.0.1',
      port: target.port,
      target: TARGET,
      initiatorName: 'iqn.2024-01.test:relogin'
    }
    const firstPeer = target.peer()
    const drive = await openIscsiTransport({ ...options, lun: 1 })
    const changer = await openIscsiTransport({ ...options, lun: 3 }) // joins the same session
    const peer1 = await firstPeer
    expect(drive.address).toBe(`iscsi://127.0.0.1:${target.port}/${TARGET}/1`)

    const write = Uint8Array.from([0x0a, 0, 0, 0, 4, 0])
    const lost = drive
      .execute({ cdb: write, dataOut: Uint8Array.from([1, 2, 3, 4]), timeoutMs: 5000 })
      .catch((e) => e)
    const queued = drive.execute({ cdb: TUR, timeoutMs: 5000 }).catch((e) => e)
    const sent = await peer1.next()
    expect(sent.bhs[32]).toBe(0x0a)
    peer1.socket.destroy()
    expect(await lost).toMatchObject({ mayHaveRun: true })
    expect(await queued).toMatchObject({
      mayHaveRun: false,
      message: expect.stringMatching(/waited behind another; it was not sent/)
    })

    const secondPeer = target.peer()
    const next = changer.execute({ cdb: TUR, timeoutMs: 5000 })
    const peer2 = await secondPeer
    const command = await peer2.next()
    expect(command.bhs[32]).toBe(0x00) // the TUR, not the lost WRITE
    expect(command.bhs[9]).toBe(3)
    peer2.respond(itt(command))
    expect((await next).status).toBe(0)

    await drive.close()
    const closing = changer.close()
    const logout = await peer2.next()
    expect(opcode(logout)).toBe(0x06)
    peer2.send(0x26, 0x80, { itt: itt(logout), statSN: peer2.statSN++ })
    await closing
  })
})
