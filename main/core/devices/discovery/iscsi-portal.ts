/**
 * Tape drives and changers behind an iSCSI portal: SendTargets discovery, then per target the LUNs
 * with their identity (REPORT LUNS, INQUIRY, VPD 80h — `listLuns`).
 */
import { DEFAULT_ISCSI_PORT, hostForUrl } from '../scsi/iscsi/initiator'
import { listLuns, sendTargets } from '../scsi/iscsi/discovery'
import type { ChapCredentials } from '../scsi/iscsi/login'
import { TransportError } from '../scsi/transport'
import type { ScannedDevice } from './scanned-device'

/** A scan that found nothing usable, or could not look: the message says which and why. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError'
  constructor(
    message: string,
    /** `bad-address`: the portal text itself is wrong; `not-found`: nothing could be found there. */
    readonly reason: 'bad-address' | 'not-found' = 'not-found'
  ) {
    super(message)
  }
}

export interface PortalAddress {
  host: string
  port: number
}

/** `HOST[:PORT]`, IPv6 hosts in brackets (`[fd00::1]:3260`); the port defaults to 3260. */
export function parsePortal(text: string): PortalAddress {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text.trim())
  if (!m) {
    throw new DiscoveryError(
      `'${text}' is not an iSCSI portal; expected HOST[:PORT], e.g. 192.0.2.10:3260 or [fd00::1]:3260`,
      'bad-address'
    )
  }
  const port = m[2] === undefined ? DEFAULT_ISCSI_PORT : Number(m[2])
  if (port < 1 || port > 65535)
    throw new DiscoveryError(`iSCSI port ${port} is out of range`, 'bad-address')
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

export interface PortalScanOptions extends PortalAddress {
  chap?: ChapCredentials
  timeoutMs?: number
}

export interface PortalScan {
  devices: ScannedDevice[]
  /** Targets that could not be read (the others still are). */
  warnings: string[]
}

/**
 * Every tape drive and changer of every target the portal lists. Paths use the portal that was
 * asked, not the addresses in the SendTargets answer: a target behind NAT, or one listening on all
 * interfaces, often lists addresses this machine cannot reach, while the asked portal just worked.
 */
export async function scanIscsiPortal(options: PortalScanOptions): Promise<PortalScan> {
  const { host, port, chap, timeoutMs } = options
  const portal = `${hostForUrl(host)}:${port}`
  let targets
  try {
    targets = await sendTargets({ host, port, chap, timeoutMs })
  } catch (err) {
    // a TransportError's message starts with the session's address, which is this portal
    const why = err instanceof TransportError ? err.detail : (err as Error).message
    throw new DiscoveryError(`iSCSI discovery at portal ${portal} failed: ${why}`)
  }
  if (targets.length === 0) {
    throw new DiscoveryError(
      `iSCSI portal ${portal} lists no targets (none configured, or none this initiator may see)`
    )
  }
  const devices: ScannedDevice[] = []
  const warnings: string[] = []
  for (const { target } of targets) {
    try {
      for (const lun of await listLuns({ host, port, target, chap, loginTimeoutMs: timeoutMs })) {
        if (lun.kind === 'other') continue
        const { kind, path, vendor, model, revision, serial } = lun
        devices.push({ kind, path, vendor, model, revision, serial })
      }
    } catch (err) {
      warnings.push(`target ${target}: ${(err as Error).message}`)
    }
  }
  if (devices.length === 0 && warnings.length === targets.length) {
    throw new DiscoveryError(
      `iSCSI portal ${portal}: no target could be read; ${warnings.join('; ')}`
    )
  }
  return { devices, warnings }
}
