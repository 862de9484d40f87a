/**
 * One iSCSI session over one TCP connection at error recovery level 0: sequence numbers
 * (CmdSN window, ExpStatSN), task tags, SCSI commands with immediate data, R2T-driven Data-Out,
 * Data-In reassembly, NOP keep-alive, asynchronous messages and logout.
 *
 * ERL 0 means a session that loses its connection is dead: every command in flight fails with a
 * TransportError (mayHaveRun = it reached the wire) and nothing is ever sent again on its behalf.
 * Whoever wants to go on opens a new session (see initiator.ts).
 */
import { connect, type Socket } from 'node:net'
import { ScsiStatus, TransportError, type ScsiRequest, type ScsiResponse } from '../transport'
import { login, type ChapCredentials, type SessionParameters, type SessionType } from './login'
import {
  AsyncEvent,
  LogoutReason,
  NO_TAG,
  Opcode,
  PduReader,
  decodeAsyncMessage,
  decodeCounters,
  decodeDataIn,
  decodeNopIn,
  decodeR2T,
  decodeReject,
  decodeScsiResponse,
  decodeTextKeys,
  decodeTextResponse,
  encodeDataOut,
  encodeLogoutRequest,
  encodeNopOut,
  encodeScsiCommand,
  encodeTextRequest,
  opcodeOf,
  type Pdu,
  type TextKeys
} from './pdu'

export interface SessionOptions {
  host: string
  port: number
  initiatorName: string
  /** Required for Normal sessions. */
  targetName?: string
  sessionType: SessionType
  chap?: ChapCredentials
  /** 6 bytes; reusing it after a connection loss makes the target reinstate (clean up) the old session. */
  isid: Uint8Array
  /** For error messages, e.g. `iscsi://127.0.0.1:3261/iqn…`. */
  address: string
  /** TCP connect + login. Default 10 s. */
  loginTimeoutMs?: number
  /**
   * While commands are outstanding and the target has been silent this long, ping it with a
   * NOP-Out; no answer within the same time drops the connection. Default 10 s.
   */
  nopIntervalMs?: number
  /** Called synchronously when the connection goes away, before pending commands fail. */
  onClosed?: (reason: string) => void
}

/** Something waiting for target PDUs with its task tag. */
interface Exchange {
  /** On the wire: if the connection dies now the target may have acted on it. */
  sent: boolean
  /** Non-immediate PDUs wait here for the CmdSN window; immediate ones go out at once. */
  send(): void
  handle(pdu: Pdu): void
  fail(message: string, mayHaveRun: boolean): void
}

interface ScsiTask {
  lun: number
  request: ScsiRequest
  edtl: number
  dataIn?: Buffer
  received: number
}

/** RFC 1982 serial number arithmetic on 32-bit sequence numbers. */
function serialDiff(a: number, b: number): number {
  return (a - b) | 0
}

export class IscsiSession {
  private readonly reader = new PduReader()
  private readonly exchanges = new Map<number, Exchange>()
  /** Non-immediate exchanges waiting for CmdSN ≤ MaxCmdSN, in submission order. */
  private readonly windowQueue: Array<{ itt: number; exchange: Exchange }> = []
  private parameters!: SessionParameters
  private cmdSN = 1
  private expStatSN = 0
  private expCmdSN = 1
  private maxCmdSN = 1
  private nextItt = 1
  private loginWaiter: ((pdu: Pdu) => void) | null = null
  private closedReason: string | null = null
  private lastHeard = Date.now()
  private pingItt: number | null = null
  private pingSentAt = 0
  private readonly nopTimer: NodeJS.Timeout
  /** Set once the session stops taking new commands (target asked for logout, or we did). */
  private draining = false
  /** Resolves when the connection is gone, for whatever reason. */
  readonly closed: Promise<void>
  private markClosed!: () => void

  private constructor(
    private readonly socket: Socket,
    private readonly options: SessionOptions
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve))
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', (error) => this.drop(`connection error: ${error.message}`))
    socket.on('close', () => this.drop('connection closed by the target'))
    const interval = options.nopIntervalMs ?? 10_000
    this.nopTimer = setInterval(() => this.keepAlive(interval), Math.max(interval / 2, 50))
    this.nopTimer.unref()
  }

  /** Connects and logs in; rejects with a TransportError (mayHaveRun false) on any failure. */
  static async open(options: SessionOptions): Promise<IscsiSession> {
    const timeoutMs = options.loginTimeoutMs ?? 10_000
    const fail = (message: string): TransportError =>
      new TransportError(options.address, message, false)
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: options.host, port: options.port })
      const timer = setTimeout(() => {
        s.destroy()
        reject(fail(`no TCP connection within ${timeoutMs} ms`))
      }, timeoutMs)
      s.once('connect', () => {
        clearTimeout(timer)
        s.removeAllListeners('error')
        resolve(s)
      })
      s.once('error', (error) => {
        clearTimeout(timer)
        reject(fail(`cannot connect: ${(error as NodeJS.ErrnoException).code ?? error.message}`))
      })
    })
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 30_000)
    const session = new IscsiSession(socket, options)
    const timer = setTimeout(() => session.drop(`login timed out after ${timeoutMs} ms`), timeoutMs)
    try {
      await session.login()
      return session
    } catch (error) {
      session.drop(`login failed: ${(error as Error).message}`)
      throw error instanceof TransportError ? error : fail((error as Error).message)
    } finally {
      clearTimeout(timer)
    }
  }

  private async login(): Promise<void> {
    const lost = this.closed.then(() => {
      throw new Error(this.closedReason ?? 'connection closed')
    })
    lost.catch(() => undefined)
    const result = await login(
      (request) => {
        const answer = new Promise<Pdu>((resolve) => (this.loginWaiter = resolve))
        this.write(request)
        return Promise.race([answer, lost])
      },
      {
        initiatorName: this.options.initiatorName,
        targetName: this.options.targetName,
        sessionType: this.options.sessionType,
        isid: this.options.isid,
        itt: this.allocateItt(),
        cmdSN: this.cmdSN,
        chap: this.options.chap
      }
    )
    this.loginWaiter = null
    this.parameters = result.parameters
    this.expStatSN = result.expStatSN
    this.expCmdSN = result.expCmdSN
    this.maxCmdSN = result.maxCmdSN
  }

  get negotiated(): SessionParameters {
    return this.parameters
  }

  /** False once the connection is gone or the session is logging out. */
  get usable(): boolean {
    return this.closedReason === null && !this.draining
  }

  /** Runs one SCSI command on `lun`. Never retried here. */
  execute(lun: number, request: ScsiRequest, address: string): Promise<ScsiResponse> {
    return new Promise((resolve, reject) => {
      if (!this.usable) {
        reject(new TransportError(address, this.closedReason ?? 'session is logging out', false))
        return
      }
      const dataOut = request.dataOut
        ? Buffer.from(request.dataOut.buffer, request.dataOut.byteOffset, request.dataOut.length)
        : undefined
      const edtl = dataOut ? dataOut.length : (request.dataInLength ?? 0)
      const task: ScsiTask = {
        lun,
        request,
        edtl,
        dataIn: request.dataInLength ? Buffer.alloc(request.dataInLength) : undefined,
        received: 0
      }
      const itt = this.allocateItt()
      const timer = setTimeout(() => {
        exchange.fail(`command timed out after ${request.timeoutMs} ms`, exchange.sent)
        this.drop(`connection dropped because a command timed out after ${request.timeoutMs} ms`)
      }, request.timeoutMs)
      const finish = (): void => {
        clearTimeout(timer)
        this.exchanges.delete(itt)
      }
      const exchange: Exchange = {
        sent: false,
        send: () => {
          exchange.sent = true
          this.sendCommand(itt, task, dataOut)
        },
        handle: (pdu) => {
          const done = this.handleTaskPdu(itt, task, dataOut, pdu)
          if (!done) return
          finish()
          if ('error' in done) reject(new TransportError(address, done.error, true))
          else resolve(done.response)
        },
        fail: (message, mayHaveRun) => {
          finish()
          reject(new TransportError(address, message, mayHaveRun))
        }
      }
      this.submit(itt, exchange, false)
    })
  }

  private sendCommand(itt: number, task: ScsiTask, dataOut: Buffer | undefined): void {
    const p = this.parameters
    const immediateLength =
      dataOut && p.immediateData
        ? Math.min(dataOut.length, p.firstBurstLength, p.maxSendDataSegmentLength)
        : 0
    // With InitialR2T=No the rest of the first burst follows unsolicited (TTT = NO_TAG).
    const unsolicitedEnd =
      dataOut && !p.initialR2T ? Math.min(dataOut.length, p.firstBurstLength) : immediateLength
    const chunks = encodeScsiCommand({
      lun: task.lun,
      itt,
      edtl: task.edtl,
      cmdSN: this.cmdSN,
      expStatSN: this.expStatSN,
      cdb: task.request.cdb,
      read: task.dataIn !== undefined,
      write: dataOut !== undefined,
      final: unsolicitedEnd === immediateLength,
      immediateData: immediateLength ? dataOut!.subarray(0, immediateLength) : undefined
    })
    this.cmdSN = (this.cmdSN + 1) >>> 0
    if (dataOut && unsolicitedEnd > immediateLength) {
      chunks.push(
        ...this.dataOutSequence(task.lun, itt, NO_TAG, dataOut, immediateLength, unsolicitedEnd)
      )
    }
    this.write(chunks)
  }

  /** Data-Out PDUs covering [start, end), each within the target's MaxRecvDataSegmentLength. */
  private dataOutSequence(
    lun: number,
    itt: number,
    ttt: number,
    data: Buffer,
    start: number,
    end: number
  ): Buffer[] {
    const chunks: Buffer[] = []
    const step = this.parameters.maxSendDataSegmentLength
    for (let offset = start, dataSN = 0; offset < end; offset += step, dataSN++) {
      const stop = Math.min(offset + step, end)
      chunks.push(
        ...encodeDataOut({
          lun,
          itt,
          ttt,
          expStatSN: this.expStatSN,
          dataSN,
          bufferOffset: offset,
          final: stop === end,
          data: data.subarray(offset, stop)
        })
      )
    }
    return chunks
  }

  /** Returns the outcome once the task is complete, undefined while it goes on. */
  private handleTaskPdu(
    itt: number,
    task: ScsiTask,
    dataOut: Buffer | undefined,
    pdu: Pdu
  ): { response: ScsiResponse } | { error: string } | undefined {
    const opcode = opcodeOf(pdu.bhs)
    if (opcode === Opcode.R2T) {
      const r2t = decodeR2T(pdu)
      const end = r2t.bufferOffset + r2t.desiredLength
      if (!dataOut || end > dataOut.length || r2t.desiredLength > this.parameters.maxBurstLength) {
        throw new Error(
          `R2T for bytes ${r2t.bufferOffset}-${end} does not fit the command's ${dataOut?.length ?? 0} data bytes`
        )
      }
      this.write(this.dataOutSequence(task.lun, itt, r2t.ttt, dataOut, r2t.bufferOffset, end))
      return undefined
    }
    if (opcode === Opcode.DATA_IN) {
      const dataIn = decodeDataIn(pdu)
      const end = dataIn.bufferOffset + dataIn.data.length
      if (!task.dataIn || end > task.edtl) {
        throw new Error(
          `Data-In for bytes ${dataIn.bufferOffset}-${end} exceeds the allocation length ${task.edtl}`
        )
      }
      dataIn.data.copy(task.dataIn, dataIn.bufferOffset)
      task.received = Math.max(task.received, end)
      if (!dataIn.statusPresent) return undefined
      return {
        response: {
          status: dataIn.status,
          data: task.dataIn.subarray(0, task.received),
          sense: new Uint8Array(0),
          residual: dataIn.residual
        }
      }
    }
    if (opcode === Opcode.SCSI_RESPONSE) {
      const response = decodeScsiResponse(pdu)
      if (response.response !== 0) {
        return { error: `target failure (iSCSI response 0x${response.response.toString(16)})` }
      }
      return {
        response: {
          status: response.status,
          data: task.dataIn ? task.dataIn.subarray(0, task.received) : new Uint8Array(0),
          sense:
            response.status === ScsiStatus.CHECK_CONDITION ? response.sense : new Uint8Array(0),
          residual: response.residual
        }
      }
    }
    throw new Error(`unexpected opcode 0x${opcode.toString(16)} for a SCSI task`)
  }

  /** SendTargets and friends: a text exchange, following continuations (C bit) to the end. */
  text(keys: TextKeys, timeoutMs = 10_000): Promise<TextKeys> {
    const address = this.options.address
    return new Promise((resolve, reject) => {
      if (!this.usable) {
        reject(new TransportError(address, this.closedReason ?? 'session is logging out', false))
        return
      }
      const itt = this.allocateItt()
      const parts: Buffer[] = []
      const sendRequest = (ttt: number, body: TextKeys): void =>
        this.write(
          encodeTextRequest({ itt, ttt, cmdSN: this.cmdSN, expStatSN: this.expStatSN, keys: body })
        )
      const timer = setTimeout(() => {
        exchange.fail(`no text response within ${timeoutMs} ms`, true)
        this.drop('connection dropped because a text request timed out')
      }, timeoutMs)
      const exchange: Exchange = {
        sent: false,
        send: () => {
          exchange.sent = true
          sendRequest(NO_TAG, keys)
        },
        handle: (pdu) => {
          if (opcodeOf(pdu.bhs) !== Opcode.TEXT_RESPONSE) {
            throw new Error(
              `unexpected opcode 0x${opcodeOf(pdu.bhs).toString(16)} for a text request`
            )
          }
          const response = decodeTextResponse(pdu)
          parts.push(response.data)
          if (response.continue || !response.final) {
            sendRequest(response.ttt, [])
            return
          }
          clearTimeout(timer)
          this.exchanges.delete(itt)
          try {
            resolve(decodeTextKeys(Buffer.concat(parts)))
          } catch (error) {
            reject(new TransportError(address, (error as Error).message, true))
          }
        },
        fail: (message, mayHaveRun) => {
          clearTimeout(timer)
          this.exchanges.delete(itt)
          reject(new TransportError(address, message, mayHaveRun))
        }
      }
      this.submit(itt, exchange, true)
    })
  }

  /**
   * Logs out (close session) and closes the connection. Commands still running fail with
   * mayHaveRun = true. Safe to call more than once and after the connection died.
   */
  async logout(timeoutMs = 5_000, reason = 'session logged out'): Promise<void> {
    if (this.closedReason !== null) return
    if (this.draining) return this.closed
    this.draining = true
    const itt = this.allocateItt()
    const answered = new Promise<void>((resolve) => {
      const exchange: Exchange = {
        sent: false,
        send: () => {
          exchange.sent = true
          this.write(
            encodeLogoutRequest({
              reason: LogoutReason.CLOSE_SESSION,
              itt,
              cid: 0,
              cmdSN: this.cmdSN,
              expStatSN: this.expStatSN
            })
          )
        },
        handle: () => {
          // Whatever the response code says, the session ends here: the connection is closed next.
          this.exchanges.delete(itt)
          resolve()
        },
        fail: () => resolve()
      }
      this.submit(itt, exchange, true)
    })
    const timer = setTimeout(
      () => this.drop(`no logout response within ${timeoutMs} ms`),
      timeoutMs
    )
    await Promise.race([answered, this.closed])
    clearTimeout(timer)
    this.drop(reason)
    await this.closed
  }

  /** Registers an exchange; non-immediate ones respect the CmdSN window. */
  private submit(itt: number, exchange: Exchange, immediate: boolean): void {
    this.exchanges.set(itt, exchange)
    if (immediate) exchange.send()
    else {
      this.windowQueue.push({ itt, exchange })
      this.flushWindow()
    }
  }

  private flushWindow(): void {
    while (this.windowQueue.length && serialDiff(this.maxCmdSN, this.cmdSN) >= 0) {
      const { itt, exchange } = this.windowQueue.shift()!
      if (this.exchanges.get(itt) === exchange) exchange.send()
    }
  }

  private allocateItt(): number {
    const itt = this.nextItt
    this.nextItt = this.nextItt + 1 >= NO_TAG ? 1 : this.nextItt + 1
    return itt
  }

  private write(chunks: Buffer[]): void {
    if (this.closedReason !== null) return
    this.socket.cork()
    for (const chunk of chunks) this.socket.write(chunk)
    this.socket.uncork()
  }

  private receive(chunk: Buffer): void {
    this.lastHeard = Date.now()
    try {
      for (const pdu of this.reader.push(chunk)) {
        if (this.closedReason !== null) return
        this.dispatch(pdu)
      }
    } catch (error) {
      this.drop(`protocol error: ${(error as Error).message}`)
    }
  }

  private dispatch(pdu: Pdu): void {
    if (this.loginWaiter) {
      const waiter = this.loginWaiter
      this.loginWaiter = null
      waiter(pdu)
      return
    }
    const opcode = opcodeOf(pdu.bhs)
    const counters = decodeCounters(pdu.bhs)
    this.updateCmdWindow(counters.expCmdSN, counters.maxCmdSN)
    if (this.advancesStatSN(opcode, pdu)) this.expStatSN = (counters.statSN + 1) >>> 0

    switch (opcode) {
      case Opcode.NOP_IN:
        return this.handleNopIn(pdu)
      case Opcode.ASYNC_MESSAGE:
        return this.handleAsyncMessage(pdu)
      case Opcode.REJECT: {
        const reject = decodeReject(pdu)
        const rejectedItt = reject.rejected.length >= 20 ? reject.rejected.readUInt32BE(16) : NO_TAG
        const rejectedCommand =
          reject.rejected.length > 0 && opcodeOf(reject.rejected) === Opcode.SCSI_COMMAND
        this.exchanges
          .get(rejectedItt)
          ?.fail(
            `target rejected the PDU (reason 0x${reject.reason.toString(16)})`,
            !rejectedCommand
          )
        this.drop(`target rejected a PDU (reason 0x${reject.reason.toString(16)})`)
        return
      }
      case Opcode.SCSI_RESPONSE:
      case Opcode.DATA_IN:
      case Opcode.R2T:
      case Opcode.TEXT_RESPONSE:
      case Opcode.LOGOUT_RESPONSE: {
        const exchange = this.exchanges.get(counters.itt)
        if (!exchange)
          throw new Error(`PDU opcode 0x${opcode.toString(16)} for unknown task ${counters.itt}`)
        exchange.handle(pdu)
        return
      }
      default:
        throw new Error(`unexpected PDU opcode 0x${opcode.toString(16)}`)
    }
  }

  /** Which target PDUs consume a StatSN (RFC 7143 §11: "StatSN" of each PDU). */
  private advancesStatSN(opcode: number, pdu: Pdu): boolean {
    switch (opcode) {
      case Opcode.SCSI_RESPONSE:
      case Opcode.TEXT_RESPONSE:
      case Opcode.LOGOUT_RESPONSE:
      case Opcode.ASYNC_MESSAGE:
      case Opcode.REJECT:
      case Opcode.TASK_MANAGEMENT_RESPONSE:
        return true
      case Opcode.DATA_IN:
        return (pdu.bhs[1] & 0x01) !== 0
      case Opcode.NOP_IN:
        return pdu.bhs.readUInt32BE(16) !== NO_TAG
      default:
        return false
    }
  }

  private updateCmdWindow(expCmdSN: number, maxCmdSN: number): void {
    // RFC 7143 §4.2.2.1: ignore the pair when MaxCmdSN < ExpCmdSN - 1.
    if (serialDiff(maxCmdSN, expCmdSN) < -1) return
    if (serialDiff(expCmdSN, this.expCmdSN) > 0) this.expCmdSN = expCmdSN
    if (serialDiff(maxCmdSN, this.maxCmdSN) > 0) this.maxCmdSN = maxCmdSN
    this.flushWindow()
  }

  private handleNopIn(pdu: Pdu): void {
    const nop = decodeNopIn(pdu)
    if (nop.itt !== NO_TAG) {
      if (nop.itt === this.pingItt) this.pingItt = null
      return
    }
    if (nop.ttt === NO_TAG) return // a bare update of the sequence numbers
    // The target pings us: echo its TTT, LUN and data.
    this.write(
      encodeNopOut({
        itt: NO_TAG,
        ttt: nop.ttt,
        lun: nop.lun,
        cmdSN: this.cmdSN,
        expStatSN: this.expStatSN,
        data: nop.data
      })
    )
  }

  private handleAsyncMessage(pdu: Pdu): void {
    const message = decodeAsyncMessage(pdu)
    switch (message.event) {
      case AsyncEvent.LOGOUT_REQUESTED:
        // Stop taking commands and log out now; the target aborts whatever still runs, and those
        // commands fail with mayHaveRun = true when the logout completes.
        void this.logout(5_000, 'target requested logout')
        return
      case AsyncEvent.CONNECTION_DROP:
      case AsyncEvent.SESSION_DROP:
        this.drop(`target is dropping the connection (async event ${message.event})`)
        return
      default:
        // SCSI asynchronous events (sense in the data) and renegotiation requests: nothing to do
        // at ERL 0; the SCSI layer learns about conditions from UNIT ATTENTION.
        return
    }
  }

  private keepAlive(intervalMs: number): void {
    if (this.closedReason !== null || this.loginWaiter) return
    const now = Date.now()
    if (this.pingItt !== null) {
      if (now - this.pingSentAt >= intervalMs) {
        this.drop(`target did not answer a NOP-Out within ${intervalMs} ms`)
      }
      return
    }
    if (this.exchanges.size === 0 || now - this.lastHeard < intervalMs) return
    this.pingItt = this.allocateItt()
    this.pingSentAt = now
    this.write(
      encodeNopOut({
        itt: this.pingItt,
        ttt: NO_TAG,
        lun: Buffer.alloc(8),
        cmdSN: this.cmdSN,
        expStatSN: this.expStatSN
      })
    )
  }

  /**
   * Closes the connection and fails everything pending. The first reason wins; commands already
   * on the wire fail with mayHaveRun = true, queued ones with false.
   */
  drop(reason: string): void {
    if (this.closedReason !== null) return
    this.closedReason = reason
    this.options.onClosed?.(reason)
    clearInterval(this.nopTimer)
    this.socket.destroy()
    const pending = [...this.exchanges.values()]
    this.exchanges.clear()
    this.windowQueue.length = 0
    for (const exchange of pending) {
      const message = exchange.sent
        ? `${reason}; the command may have run`
        : `${reason}; the command was not sent`
      exchange.fail(message, exchange.sent)
    }
    this.markClosed()
  }
}
