/**
 * iSCSI login (RFC 7143 §6, §13): security stage (AuthMethod None, or one-way CHAP with MD5 when
 * credentials are given — RFC 7143 §12.1.3), then the operational stage
 * that negotiates the session parameters, then full feature phase. Pure logic over an `exchange`
 * function (send one Login Request, get the Login Response) so it can be tested without a socket.
 */
import { createHash } from 'node:crypto'
import {
  LoginStage,
  Opcode,
  decodeLoginResponse,
  encodeLoginRequest,
  opcodeOf,
  type LoginResponse,
  type Pdu,
  type TextKeys
} from './pdu'

export type SessionType = 'Normal' | 'Discovery'

/** What the session must respect after login. */
export interface SessionParameters {
  /** The target's MaxRecvDataSegmentLength: the largest data segment *we* may send. */
  maxSendDataSegmentLength: number
  /** Ours, declared to the target: the largest data segment it may send us. */
  maxRecvDataSegmentLength: number
  initialR2T: boolean
  immediateData: boolean
  firstBurstLength: number
  maxBurstLength: number
  maxOutstandingR2T: number
  dataPduInOrder: boolean
  dataSequenceInOrder: boolean
  errorRecoveryLevel: number
  headerDigest: 'None'
  dataDigest: 'None'
}

/** RFC 7143 §13: what holds when the target does not answer a key. */
const RFC_DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192

/** Our offers. Bursts of 1 MiB keep R2T round trips rare; targets lower them (tgt: 64 KiB/256 KiB). */
export const INITIATOR_LIMITS = {
  maxRecvDataSegmentLength: 262144,
  firstBurstLength: 262144,
  maxBurstLength: 1048576
} as const

export function operationalKeys(sessionType: SessionType): TextKeys {
  const keys: TextKeys = [
    ['HeaderDigest', 'None'],
    ['DataDigest', 'None'],
    ['MaxRecvDataSegmentLength', String(INITIATOR_LIMITS.maxRecvDataSegmentLength)]
  ]
  if (sessionType === 'Discovery') return keys
  return keys.concat([
    // InitialR2T=No lets a target that allows it take unsolicited data (tgt insists on Yes).
    ['InitialR2T', 'No'],
    ['ImmediateData', 'Yes'],
    ['MaxBurstLength', String(INITIATOR_LIMITS.maxBurstLength)],
    ['FirstBurstLength', String(INITIATOR_LIMITS.firstBurstLength)],
    ['DefaultTime2Wait', '2'],
    ['DefaultTime2Retain', '0'],
    ['MaxOutstandingR2T', '1'],
    ['DataPDUInOrder', 'Yes'],
    ['DataSequenceInOrder', 'Yes'],
    // ERL 0: a lost connection fails its commands; nothing is ever replayed on tape.
    ['ErrorRecoveryLevel', '0'],
    ['IFMarker', 'No'],
    ['OFMarker', 'No'],
    ['MaxConnections', '1']
  ])
}

function numberKey(key: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`target answered ${key}=${value}, expected a number`)
  return Number(value)
}

function booleanKey(key: string, value: string): boolean {
  if (value !== 'Yes' && value !== 'No') {
    throw new Error(`target answered ${key}=${value}, expected Yes or No`)
  }
  return value === 'Yes'
}

/**
 * Session parameters from the keys the target answered (all login responses merged). Keys the
 * target leaves out keep the RFC defaults, which for "minimum"/"AND"/"OR" keys equals accepting
 * our offer only when our offer is the default — so absent keys fall back to the RFC default.
 */
export function negotiatedParameters(
  sessionType: SessionType,
  answered: TextKeys
): SessionParameters {
  const offered = new Map(operationalKeys(sessionType))
  const got = new Map<string, string>()
  for (const [key, value] of answered) {
    if (value === 'Reject' && offered.has(key)) {
      throw new Error(`target rejected ${key}=${offered.get(key)}`)
    }
    got.set(key, value)
  }
  for (const digest of ['HeaderDigest', 'DataDigest']) {
    const value = got.get(digest)
    if (value !== undefined && value !== 'None') {
      throw new Error(`target insists on ${digest}=${value}; only None is supported`)
    }
  }
  const num = (key: string, fallback: number, mine: number): number => {
    const value = got.get(key)
    return value === undefined ? Math.min(fallback, mine) : Math.min(numberKey(key, value), mine)
  }
  const bool = (key: string, fallback: boolean): boolean => {
    const value = got.get(key)
    return value === undefined || value === 'Irrelevant' ? fallback : booleanKey(key, value)
  }
  const mrdsl = got.get('MaxRecvDataSegmentLength')
  const erl = got.get('ErrorRecoveryLevel')
  const params: SessionParameters = {
    maxSendDataSegmentLength:
      mrdsl === undefined
        ? RFC_DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH
        : numberKey('MaxRecvDataSegmentLength', mrdsl),
    maxRecvDataSegmentLength: INITIATOR_LIMITS.maxRecvDataSegmentLength,
    // RFC defaults: InitialR2T=Yes, ImmediateData=Yes, FirstBurst 65536, MaxBurst 262144.
    initialR2T: bool('InitialR2T', true),
    immediateData: bool('ImmediateData', true),
    firstBurstLength: num('FirstBurstLength', 65536, INITIATOR_LIMITS.firstBurstLength),
    maxBurstLength: num('MaxBurstLength', 262144, INITIATOR_LIMITS.maxBurstLength),
    maxOutstandingR2T: num('MaxOutstandingR2T', 1, 1),
    dataPduInOrder: bool('DataPDUInOrder', true),
    dataSequenceInOrder: bool('DataSequenceInOrder', true),
    errorRecoveryLevel: erl === undefined ? 0 : numberKey('ErrorRecoveryLevel', erl),
    headerDigest: 'None',
    dataDigest: 'None'
  }
  if (sessionType === 'Normal') {
    if (params.errorRecoveryLevel !== 0) {
      throw new Error(
        `target negotiated ErrorRecoveryLevel=${params.errorRecoveryLevel}, expected 0`
      )
    }
    if (!params.dataPduInOrder || !params.dataSequenceInOrder) {
      throw new Error('target wants out-of-order data PDUs or sequences, which are not supported')
    }
    if (params.maxSendDataSegmentLength < 512 || params.firstBurstLength < 512) {
      throw new Error('target negotiated data segment or burst lengths below 512 bytes')
    }
  }
  return params
}

const LOGIN_STATUS: Record<number, string> = {
  0x0101: 'target moved temporarily',
  0x0102: 'target moved permanently',
  0x0200: 'initiator error',
  0x0201: 'authentication failed',
  0x0202: 'authorization failure (initiator not allowed to access this target)',
  0x0203: 'target not found',
  0x0204: 'target removed',
  0x0205: 'unsupported iSCSI version',
  0x0206: 'too many connections',
  0x0207: 'missing parameter',
  0x0208: "can't include in session",
  0x0209: 'session type not supported',
  0x020a: 'session does not exist',
  0x020b: 'invalid request during login',
  0x0300: 'target error',
  0x0301: 'service unavailable',
  0x0302: 'out of resources'
}

export function loginStatusMessage(statusClass: number, statusDetail: number): string {
  const code = (statusClass << 8) | statusDetail
  const text = LOGIN_STATUS[code] ?? 'unknown login status'
  return `login refused: ${text} (status 0x${code.toString(16).padStart(4, '0')})`
}

export interface LoginOptions {
  initiatorName: string
  /** Required for Normal sessions. */
  targetName?: string
  sessionType: SessionType
  isid: Uint8Array
  itt: number
  /** First CmdSN of the session; login PDUs are immediate and carry it without consuming it. */
  cmdSN: number
  /** One-way CHAP credentials (the target authenticates us); without them only None is offered. */
  chap?: ChapCredentials
}

export interface ChapCredentials {
  user: string
  secret: string
}

/** CHAP_A value for MD5, the only algorithm RFC 7143 requires. */
const CHAP_MD5 = '5'

/** A CHAP binary value: `0x` hex or `0b` base64 (RFC 7143 §6.1). */
function chapBytes(key: string, value: string): Buffer {
  if (/^0x([0-9a-f]{2})+$/i.test(value)) return Buffer.from(value.slice(2), 'hex')
  if (/^0b[A-Za-z0-9+/]+=*$/.test(value)) return Buffer.from(value.slice(2), 'base64')
  throw new Error(`target sent a malformed ${key}`)
}

/** CHAP_R = MD5(identifier byte ‖ secret ‖ challenge) (RFC 1994 §4.1), as `0x` hex. */
export function chapResponse(identifier: number, secret: string, challenge: Uint8Array): string {
  const md5 = createHash('md5')
  md5.update(Buffer.from([identifier]))
  md5.update(Buffer.from(secret, 'utf8'))
  md5.update(challenge)
  return `0x${md5.digest('hex')}`
}

export interface LoginResult {
  parameters: SessionParameters
  tsih: number
  /** StatSN of the last Login Response + 1. */
  expStatSN: number
  expCmdSN: number
  maxCmdSN: number
  /** Every key the target sent (TargetPortalGroupTag, TargetAlias, …). */
  targetKeys: TextKeys
}

/**
 * The security stage's next keys when the target drives a CHAP exchange: CHAP_A after it chose
 * CHAP, CHAP_N/CHAP_R after its challenge. Undefined when there is nothing to answer.
 */
function securityStep(answer: TextKeys, chap: ChapCredentials | undefined): TextKeys | undefined {
  const get = (key: string) => answer.find(([k]) => k === key)?.[1]
  const auth = get('AuthMethod')
  if (auth === 'CHAP') {
    if (!chap) {
      throw new Error('target requires CHAP authentication; configure a CHAP user and secret')
    }
    return [['CHAP_A', CHAP_MD5]]
  }
  if (auth !== undefined && auth !== 'None') {
    throw new Error(`target requires ${auth} authentication; only CHAP and None are supported`)
  }
  const challenge = get('CHAP_C')
  if (challenge === undefined) return undefined
  if (!chap) throw new Error('target sent a CHAP challenge although CHAP was not offered')
  if (get('CHAP_A') !== CHAP_MD5) throw new Error(`target chose CHAP_A=${get('CHAP_A')}, not MD5`)
  const identifier = Number(get('CHAP_I'))
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new Error('target sent a malformed CHAP_I')
  }
  return [
    ['CHAP_N', chap.user],
    ['CHAP_R', chapResponse(identifier, chap.secret, chapBytes('CHAP_C', challenge))]
  ]
}

/** At most this many Login Request/Response rounds; a target that needs more is looping. */
const MAX_LOGIN_ROUNDS = 16

/**
 * Runs the login phase. `exchange` sends one Login Request and resolves with the next PDU received.
 * Throws with a readable message when the target refuses, asks for authentication or misbehaves.
 */
export async function login(
  exchange: (request: Buffer[]) => Promise<Pdu>,
  options: LoginOptions
): Promise<LoginResult> {
  if (options.sessionType === 'Normal' && !options.targetName) {
    throw new Error('a Normal iSCSI session needs a target name')
  }
  const initial: TextKeys = [
    ['InitiatorName', options.initiatorName],
    ['SessionType', options.sessionType]
  ]
  if (options.targetName) initial.push(['TargetName', options.targetName])

  let stage: number = LoginStage.SECURITY
  let keys: TextKeys = [...initial, ['AuthMethod', options.chap ? 'CHAP,None' : 'None']]
  // False only while a CHAP exchange is under way: the security stage may not end before CHAP_R.
  let transit = true
  let expStatSN = 0
  let tsih = 0
  const answered: TextKeys = []
  let operationalSent = false

  for (let round = 0; round < MAX_LOGIN_ROUNDS; round++) {
    const nextStage =
      stage === LoginStage.SECURITY ? LoginStage.OPERATIONAL : LoginStage.FULL_FEATURE
    const pdu = await exchange(
      encodeLoginRequest({
        transit,
        csg: stage,
        nsg: nextStage,
        isid: options.isid,
        tsih,
        itt: options.itt,
        cid: 0,
        cmdSN: options.cmdSN,
        expStatSN,
        keys
      })
    )
    if (opcodeOf(pdu.bhs) !== Opcode.LOGIN_RESPONSE) {
      throw new Error(`expected a Login Response, got opcode 0x${opcodeOf(pdu.bhs).toString(16)}`)
    }
    const response: LoginResponse = decodeLoginResponse(pdu)
    if (response.statusClass !== 0) {
      const redirect = response.keys.find(([k]) => k === 'TargetAddress')?.[1]
      let message = loginStatusMessage(response.statusClass, response.statusDetail)
      if (redirect) message += `, redirected to ${redirect}`
      // tgt answers AuthMethod=None with a plain failure when an account is bound to the target.
      const authFailed = response.statusClass === 2 && response.statusDetail === 1
      if (authFailed && !options.chap) message += '; the target may require CHAP credentials'
      throw new Error(message)
    }
    expStatSN = (response.statSN + 1) >>> 0
    if (response.tsih) tsih = response.tsih
    answered.push(...response.keys)

    if (stage === LoginStage.SECURITY) {
      const chapKeys = securityStep(response.keys, options.chap)
      if (chapKeys) {
        keys = chapKeys
        transit = chapKeys.some(([k]) => k === 'CHAP_R')
        continue
      }
    }
    transit = true
    keys = []
    if (!response.transit) continue // target has more to say in this stage: send an empty request
    if (response.nsg === LoginStage.FULL_FEATURE) {
      // (A target that skips the operational stage leaves every key at its RFC default.)
      return {
        parameters: negotiatedParameters(options.sessionType, answered),
        tsih,
        expStatSN,
        expCmdSN: response.expCmdSN,
        maxCmdSN: response.maxCmdSN,
        targetKeys: answered
      }
    }
    if (response.nsg !== LoginStage.OPERATIONAL) {
      throw new Error(`target moved the login to unexpected stage ${response.nsg}`)
    }
    stage = LoginStage.OPERATIONAL
    if (!operationalSent) {
      keys = operationalKeys(options.sessionType)
      operationalSent = true
    }
  }
  throw new Error(`login did not finish within ${MAX_LOGIN_ROUNDS} exchanges`)
}
