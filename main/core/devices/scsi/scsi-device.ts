/**
 * One SCSI logical unit over a transport: runs a command, retries what is safe to retry, and turns
 * every other non-GOOD status into a typed `ScsiError` (decoded sense, command name, device).
 *
 * Retried, because the command provably did not run (scsi.md §2.5): UNIT ATTENTION (a few times),
 * NOT READY "becoming ready" 04/01 (with a delay, up to a timeout), BUSY and TASK SET FULL.
 * Nothing else — and never after a TransportError, where the command may have moved the tape.
 */
import { type ScsiTransport, ScsiStatus } from './transport'
import { commandName, defaultTimeoutMs } from './commands'
import {
  type Sense,
  type SenseCondition,
  SenseKey,
  classifySense,
  describeSense,
  parseSense
} from './sense'
import {
  inquiryCdb,
  modeSelect10Cdb,
  modeSelect6Cdb,
  modeSense10Cdb,
  modeSense6Cdb,
  reportLunsCdb,
  requestSenseCdb,
  testUnitReadyCdb,
  vpdInquiryCdb,
  VpdPage,
  type ModeSenseOptions
} from './spc-cdb'
import {
  type Designator,
  type Inquiry,
  type ModeParameters,
  parseDeviceIdentification,
  parseInquiry,
  parseModeParameters,
  parseReportLuns,
  parseUnitSerialNumber
} from './spc-data'

export interface ScsiCommand {
  cdb: Uint8Array
  /** Allocation length of a Data-In command (must match the CDB's). */
  dataInLength?: number
  dataOut?: Uint8Array
  /** Defaults per opcode (commands.ts). */
  timeoutMs?: number
  /**
   * Sense conditions the caller handles itself (a READ hitting a filemark, a WRITE reporting early
   * warning): returned in the result instead of thrown, together with the Data-In bytes.
   */
  accept?: (sense: Sense) => boolean
}

export interface ScsiResult {
  /** Data-In bytes: only from a GOOD command or one whose sense the caller accepted. */
  data: Uint8Array
  residual: number
  /** The accepted sense, null on GOOD. */
  sense: Sense | null
}

export type ScsiErrorCode =
  SenseCondition | 'busy' | 'reservation-conflict' | 'task-aborted' | 'bad-status' | 'no-sense-data'

const STATUS_CODES: Record<number, ScsiErrorCode> = {
  [ScsiStatus.BUSY]: 'busy',
  [ScsiStatus.TASK_SET_FULL]: 'busy',
  [ScsiStatus.RESERVATION_CONFLICT]: 'reservation-conflict',
  [ScsiStatus.TASK_ABORTED]: 'task-aborted'
}

const NOT_SUPPORTED_HINT = 'not supported by this drive'

/** A command the device answered with something other than GOOD (after the retries). */
export class ScsiError extends Error {
  override readonly name: string = 'ScsiError'
  readonly code: ScsiErrorCode
  constructor(
    readonly address: string,
    readonly command: string,
    readonly status: number,
    readonly sense: Sense | null,
    detail?: string
  ) {
    const code = sense
      ? classifySense(sense)
      : (STATUS_CODES[status] ??
        (status === ScsiStatus.CHECK_CONDITION ? 'no-sense-data' : 'bad-status'))
    const what = sense ? describeSense(sense) : `status 0x${status.toString(16).padStart(2, '0')}`
    const hint = code === 'not-supported' ? `${NOT_SUPPORTED_HINT} (${what})` : what
    super(`${address}: ${command} failed: ${hint}${detail ? ` - ${detail}` : ''}`)
    this.code = code
  }
}

export interface RetryPolicy {
  /** UNIT ATTENTION retries; tgt raises one per LUN after login, a library one per door/load event. */
  unitAttentionRetries: number
  /** How long NOT READY 04/01 ("becoming ready") is waited out; PBS waits 5 min on changers. */
  becomingReadyTimeoutMs: number
  becomingReadyIntervalMs: number
  busyRetries: number
  busyDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  unitAttentionRetries: 5,
  becomingReadyTimeoutMs: 5 * 60_000,
  becomingReadyIntervalMs: 1000,
  busyRetries: 10,
  busyDelayMs: 1000
})

export interface ScsiDeviceOptions {
  retry?: Partial<RetryPolicy>
  /** Told about every UNIT ATTENTION (28/00 medium changed ⇒ re-apply key and mode pages). */
  onUnitAttention?: (sense: Sense) => void
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class ScsiDevice {
  private readonly policy: RetryPolicy
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => number

  constructor(
    readonly transport: ScsiTransport,
    private readonly options: ScsiDeviceOptions = {}
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry }
    this.sleep = options.sleep ?? realSleep
    this.now = options.now ?? Date.now
  }

  get address(): string {
    return this.transport.address
  }

  /** Runs one command with the retry policy; throws ScsiError or the transport's TransportError. */
  async run(command: ScsiCommand): Promise<ScsiResult> {
    const name = commandName(command.cdb)
    const request = {
      cdb: command.cdb,
      dataInLength: command.dataInLength,
      dataOut: command.dataOut,
      timeoutMs: command.timeoutMs ?? defaultTimeoutMs(command.cdb)
    }
    const started = this.now()
    let unitAttentions = 0
    let busy = 0
    for (;;) {
      const response = await this.transport.execute(request)
      const { status } = response
      const fail = (sense: Sense | null, detail?: string): ScsiError =>
        new ScsiError(this.address, name, status, sense, detail)
      if (status === ScsiStatus.GOOD)
        return { data: response.data, residual: response.residual, sense: null }
      if (status === ScsiStatus.BUSY || status === ScsiStatus.TASK_SET_FULL) {
        if (busy++ >= this.policy.busyRetries) throw fail(null, `still busy after ${busy} tries`)
        await this.sleep(this.policy.busyDelayMs)
        continue
      }
      if (status !== ScsiStatus.CHECK_CONDITION) throw fail(null)
      let sense: Sense
      try {
        sense = parseSense(response.sense)
      } catch (err) {
        throw fail(null, (err as Error).message)
      }
      if (sense.key === SenseKey.UNIT_ATTENTION) {
        this.options.onUnitAttention?.(sense)
        if (unitAttentions++ < this.policy.unitAttentionRetries) continue
        throw fail(sense, `still reported after ${unitAttentions} tries`)
      }
      if (classifySense(sense) === 'becoming-ready') {
        const waited = this.now() - started
        if (waited + this.policy.becomingReadyIntervalMs > this.policy.becomingReadyTimeoutMs) {
          throw fail(sense, `still becoming ready after ${Math.round(waited / 1000)} s`)
        }
        await this.sleep(this.policy.becomingReadyIntervalMs)
        continue
      }
      if (command.accept?.(sense))
        return { data: response.data, residual: response.residual, sense }
      throw fail(sense)
    }
  }

  /** Runs a Data-In command with this allocation length and returns the data. */
  async dataIn(cdb: Uint8Array, allocationLength: number, timeoutMs?: number): Promise<Uint8Array> {
    return (await this.run({ cdb, dataInLength: allocationLength, timeoutMs })).data
  }

  async testUnitReady(): Promise<void> {
    await this.run({ cdb: testUnitReadyCdb() })
  }

  async inquiry(): Promise<Inquiry> {
    return parseInquiry(await this.dataIn(inquiryCdb(96), 96))
  }

  /** Unit serial number (VPD 0x80), trimmed. */
  async serialNumber(): Promise<string> {
    return parseUnitSerialNumber(await this.dataIn(vpdInquiryCdb(VpdPage.UNIT_SERIAL_NUMBER), 255))
  }

  async deviceIdentification(): Promise<Designator[]> {
    return parseDeviceIdentification(
      await this.dataIn(vpdInquiryCdb(VpdPage.DEVICE_IDENTIFICATION), 255)
    )
  }

  async reportLuns(): Promise<number[]> {
    return parseReportLuns(await this.dataIn(reportLunsCdb(4096), 4096)).luns
  }

  /** REQUEST SENSE; over iSCSI and SG_IO sense arrives with the failing command, so this mostly clears deferred state. */
  async requestSense(): Promise<Sense> {
    return parseSense(await this.dataIn(requestSenseCdb(252), 252))
  }

  /**
   * MODE SENSE(10), falling back to MODE SENSE(6) when the device does not know the 10-byte
   * command (PBS does the same). Returns the parsed parameters and the form that answered, which
   * MODE SELECT must use as well.
   */
  async modeSense(o: ModeSenseOptions): Promise<ModeParameters & { form: 6 | 10 }> {
    try {
      const length = o.allocationLength ?? 4096
      return {
        ...parseModeParameters(
          await this.dataIn(modeSense10Cdb({ ...o, allocationLength: length }), length),
          10
        ),
        form: 10
      }
    } catch (err) {
      if (!(err instanceof ScsiError && err.code === 'not-supported')) throw err
      const length = Math.min(o.allocationLength ?? 255, 255)
      return {
        ...parseModeParameters(
          await this.dataIn(modeSense6Cdb({ ...o, allocationLength: length }), length),
          6
        ),
        form: 6
      }
    }
  }

  /** MODE SELECT of a parameter list from `buildModeSelectParameters` in the same form. */
  async modeSelect(form: 6 | 10, parameters: Uint8Array): Promise<void> {
    const cdb = form === 6 ? modeSelect6Cdb(parameters.length) : modeSelect10Cdb(parameters.length)
    await this.run({ cdb, dataOut: parameters })
  }
}
