/**
 * What sits behind an iSCSI portal: SendTargets discovery (targets and their portals), and per
 * target the LUNs with their identity (for `drive scan` / `changer scan --iscsi-portal`).
 *
 * `listLuns` carries its own three CDBs and minimal parsing (REPORT LUNS, standard INQUIRY, VPD
 * 0x80) so discovery does not depend on the full SCSI command layer.
 */
import { ScsiStatus, type ScsiResponse } from '../transport'
import {
  DEFAULT_ISCSI_PORT,
  defaultInitiatorName,
  formatIscsiUrl,
  openIscsiTransport,
  type IscsiTargetOptions
} from './initiator'
import { hostForUrl } from './initiator'
import { type ChapCredentials } from './login'
import { decodeLun, type TextKeys } from './pdu'
import { IscsiSession } from './session'
import { randomBytes } from 'node:crypto'

export interface Portal {
  host: string
  port: number
  /** Target portal group tag. */
  group: number
}

export interface DiscoveredTarget {
  target: string
  portals: Portal[]
}

export interface PortalOptions {
  host: string
  port?: number
  initiatorName?: string
  chap?: ChapCredentials
  timeoutMs?: number
}

/** `TargetAddress` value: `host[:port][,tpgt]`, IPv6 hosts in brackets. */
export function parseTargetAddress(value: string): Portal {
  const m = /^(\[[^\]]+\]|[^:,]+)(?::(\d+))?(?:,(\d+))?$/.exec(value)
  if (!m) throw new Error(`malformed TargetAddress "${value}"`)
  return {
    host: m[1].replace(/^\[|\]$/g, ''),
    port: m[2] === undefined ? DEFAULT_ISCSI_PORT : Number(m[2]),
    group: m[3] === undefined ? 1 : Number(m[3])
  }
}

/** SendTargets response keys → targets; each TargetAddress belongs to the TargetName before it. */
export function parseSendTargets(keys: TextKeys): DiscoveredTarget[] {
  const targets: DiscoveredTarget[] = []
  for (const [key, value] of keys) {
    if (key === 'TargetName') targets.push({ target: value, portals: [] })
    else if (key === 'TargetAddress') {
      const current = targets.at(-1)
      if (!current)
        throw new Error('SendTargets response has a TargetAddress before any TargetName')
      current.portals.push(parseTargetAddress(value))
    }
  }
  return targets
}

/**
 * SendTargets=All over a discovery session. Targets that report no address are reachable at the
 * portal that was asked (RFC 7143 §13.3), so that portal is filled in.
 */
export async function sendTargets(options: PortalOptions): Promise<DiscoveredTarget[]> {
  const port = options.port ?? DEFAULT_ISCSI_PORT
  const session = await IscsiSession.open({
    host: options.host,
    port,
    initiatorName: options.initiatorName ?? defaultInitiatorName(),
    sessionType: 'Discovery',
    chap: options.chap,
    isid: Buffer.concat([Buffer.from([0x80]), randomBytes(5)]),
    address: `iscsi://${hostForUrl(options.host)}:${port}`,
    loginTimeoutMs: options.timeoutMs
  })
  try {
    const targets = parseSendTargets(
      await session.text([['SendTargets', 'All']], options.timeoutMs)
    )
    for (const t of targets) {
      if (t.portals.length === 0) t.portals.push({ host: options.host, port, group: 1 })
    }
    return targets
  } finally {
    await session.logout()
  }
}

export type LunKind = 'tape' | 'changer' | 'other'

export interface LunInfo {
  lun: number
  /** `iscsi://host:port/iqn/lun`, the path a drive or changer entry uses. */
  path: string
  /** INQUIRY peripheral device type: 0x01 tape, 0x08 medium changer. */
  deviceType: number
  kind: LunKind
  vendor: string
  model: string
  revision: string
  /** Unit serial number (VPD 0x80), trimmed; empty when the device has none. */
  serial: string
}

const TIMEOUT_MS = 30_000
const SENSE_KEY_UNIT_ATTENTION = 0x06

/**
 * Runs a data-in command, repeating it while the LUN answers UNIT ATTENTION (29/00 after login):
 * a command answered with UNIT ATTENTION did not run, so repeating it is safe.
 */
async function dataIn(
  execute: (cdb: Uint8Array, length: number) => Promise<ScsiResponse>,
  cdb: number[],
  length: number,
  what: string
): Promise<Uint8Array> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const response = await execute(Uint8Array.from(cdb), length)
    if (response.status === ScsiStatus.GOOD) return response.data
    const senseKey = response.sense.length > 2 ? response.sense[2] & 0x0f : -1
    if (response.status !== ScsiStatus.CHECK_CONDITION || senseKey !== SENSE_KEY_UNIT_ATTENTION) {
      throw new Error(
        `${what} failed: status 0x${response.status.toString(16)}, sense key ${senseKey}`
      )
    }
  }
  throw new Error(`${what} kept answering UNIT ATTENTION`)
}

function ascii(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1').replace(/\0/g, ' ').trim()
}

/** REPORT LUNS (on LUN 0) and, per LUN, standard INQUIRY plus the unit serial number page. */
export async function listLuns(options: IscsiTargetOptions): Promise<LunInfo[]> {
  const open = (lun: number) => openIscsiTransport({ ...options, lun })
  const zero = await open(0)
  let luns: number[]
  try {
    // REPORT LUNS: A0h, select report 0, allocation length (bytes 6-9) 4096.
    const report = await dataIn(
      (cdb, length) => zero.execute({ cdb, dataInLength: length, timeoutMs: TIMEOUT_MS }),
      [0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0],
      4096,
      'REPORT LUNS'
    )
    const listLength = Buffer.from(report).readUInt32BE(0)
    luns = []
    for (let at = 8; at + 8 <= Math.min(report.length, 8 + listLength); at += 8) {
      luns.push(decodeLun(report.subarray(at, at + 8)))
    }
  } catch (error) {
    await zero.close()
    throw error
  }

  const result: LunInfo[] = []
  try {
    for (const lun of luns) {
      const transport = lun === 0 ? zero : await open(lun)
      try {
        const run = (cdb: Uint8Array, length: number) =>
          transport.execute({ cdb, dataInLength: length, timeoutMs: TIMEOUT_MS })
        // Standard INQUIRY: 12h, EVPD 0, allocation length 96.
        const inquiry = await dataIn(run, [0x12, 0, 0, 0, 96, 0], 96, `INQUIRY of LUN ${lun}`)
        if (inquiry.length < 36)
          throw new Error(`INQUIRY of LUN ${lun} returned ${inquiry.length} bytes`)
        const qualifier = inquiry[0] >> 5
        if (qualifier !== 0) continue // no device connected at this LUN
        const deviceType = inquiry[0] & 0x1f
        let serial = ''
        // VPD page 80h (unit serial number): 12h, EVPD 1, page 80h, allocation length 252.
        const vpd = await dataIn(
          run,
          [0x12, 1, 0x80, 0, 252, 0],
          252,
          `INQUIRY VPD 0x80 of LUN ${lun}`
        ).catch(
          () => null // a device without the page simply has no serial to show
        )
        if (vpd && vpd.length >= 4 && vpd[1] === 0x80) {
          serial = ascii(vpd.subarray(4, 4 + Buffer.from(vpd).readUInt16BE(2)))
        }
        result.push({
          lun,
          path: formatIscsiUrl({ ...options, lun }),
          deviceType,
          kind: deviceType === 0x01 ? 'tape' : deviceType === 0x08 ? 'changer' : 'other',
          vendor: ascii(inquiry.subarray(8, 16)),
          model: ascii(inquiry.subarray(16, 32)),
          revision: ascii(inquiry.subarray(32, 36)),
          serial
        })
      } finally {
        if (transport !== zero) await transport.close()
      }
    }
  } finally {
    await zero.close()
  }
  return result
}
