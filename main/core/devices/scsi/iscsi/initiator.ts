/**
 * ScsiTransport over iSCSI: one transport per LUN, `iscsi://host[:port]/iqn/lun`.
 *
 * All LUNs of one target (a library's drives and its changer) share one session per process. That
 * is how targets present a library and what hardware initiators do; it also matters for ERL 0
 * reinstatement: a login reusing our ISID tells the target to clean up our previous session, so two
 * sessions with one ISID to the same target would keep killing each other, while distinct ISIDs
 * per LUN would leave stale sessions (and their PREVENT ALLOW state) behind after a crash.
 *
 * Commands to one LUN run one at a time in submission order (tape commands must not overtake each
 * other); different LUNs run concurrently. After a connection loss every command that was in flight
 * or queued fails; the next command logs in again (new session, UNIT ATTENTION 29/00 on every LUN)
 * and nothing is ever re-sent.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import {
  TransportError,
  type ScsiRequest,
  type ScsiResponse,
  type ScsiTransport
} from '../transport'
import { type ChapCredentials } from './login'
import { IscsiSession } from './session'

export const DEFAULT_ISCSI_PORT = 3260

export interface IscsiTargetOptions {
  host: string
  port?: number
  target: string
  /** Default: `iqn.2024-01.io.tapedeck:<hostname>`. */
  initiatorName?: string
  /** One-way CHAP (the target checks us); without it the login offers AuthMethod=None only. */
  chap?: ChapCredentials
  /** TCP connect + login timeout. Default 10 s. */
  loginTimeoutMs?: number
  /** Keep-alive ping interval while commands run (see SessionOptions). Default 10 s. */
  nopIntervalMs?: number
}

export interface IscsiLunOptions extends IscsiTargetOptions {
  lun: number
}

export function defaultInitiatorName(): string {
  const host =
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-') || 'localhost'
  return `iqn.2024-01.io.tapedeck:${host}`
}

/**
 * ISID "random" format (RFC 7143 §11.12.5, type 0b10): one per process, so reconnects of this
 * process reinstate its own session and never take over another process's session.
 */
const PROCESS_ISID = Buffer.concat([Buffer.from([0x80]), randomBytes(5)])

/** A host as it goes into a URL or `host:port`: IPv6 addresses in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

export function formatIscsiUrl(o: {
  host: string
  port?: number
  target: string
  lun?: number
}): string {
  const port = o.port ?? DEFAULT_ISCSI_PORT
  const base = `iscsi://${hostForUrl(o.host)}:${port}/${o.target}`
  return o.lun === undefined ? base : `${base}/${o.lun}`
}

/** Parses `iscsi://host[:port]/iqn/lun` (IPv6 hosts in brackets). */
export function parseIscsiUrl(url: string): {
  host: string
  port: number
  target: string
  lun: number
} {
  const m = /^iscsi:\/\/(\[[0-9a-fA-F:.]+\]|[^/:[\]]+)(?::(\d+))?\/([^/]+)\/(\d+)$/.exec(url)
  if (!m) {
    throw new Error(`not an iSCSI device path: "${url}" (expected iscsi://host[:port]/iqn/lun)`)
  }
  const port = m[2] === undefined ? DEFAULT_ISCSI_PORT : Number(m[2])
  const lun = Number(m[4])
  if (port < 1 || port > 65535) throw new Error(`invalid port ${port} in "${url}"`)
  if (lun > 0x3fff) throw new Error(`LUN ${lun} in "${url}" is out of range (0-16383)`)
  return { host: m[1].replace(/^\[|\]$/g, ''), port, target: decodeURIComponent(m[3]), lun }
}

/** The shared session to one target, re-established on demand after a loss. */
class TargetLink {
  users = 0
  /** Connection losses so far; commands queued across a loss must not run afterwards. */
  losses = 0
  private session: IscsiSession | null = null
  private opening: Promise<IscsiSession> | null = null
  private closing = false
  readonly address: string

  constructor(
    readonly key: string,
    private readonly options: IscsiTargetOptions
  ) {
    this.address = formatIscsiUrl({
      host: options.host,
      port: options.port,
      target: options.target
    })
  }

  /** The live session, logging in first if there is none. */
  async current(): Promise<IscsiSession> {
    if (this.session?.usable) return this.session
    if (!this.opening) {
      const previous = this.session
      this.opening = (async () => {
        if (previous) await previous.closed // a logout in progress must end before we reinstate
        const session = await IscsiSession.open({
          host: this.options.host,
          port: this.options.port ?? DEFAULT_ISCSI_PORT,
          initiatorName: this.options.initiatorName ?? defaultInitiatorName(),
          targetName: this.options.target,
          chap: this.options.chap,
          sessionType: 'Normal',
          isid: PROCESS_ISID,
          address: this.address,
          loginTimeoutMs: this.options.loginTimeoutMs,
          nopIntervalMs: this.options.nopIntervalMs,
          onClosed: () => {
            if (!this.closing) this.losses++
          }
        })
        this.session = session
        return session
      })().finally(() => (this.opening = null))
    }
    return this.opening
  }

  async close(): Promise<void> {
    this.closing = true
    const session = this.session ?? (await this.opening?.catch(() => null))
    await session?.logout()
  }
}

const links = new Map<string, TargetLink>()

class IscsiLun implements ScsiTransport {
  readonly address: string
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(
    private readonly link: TargetLink,
    private readonly lun: number
  ) {
    this.address = `${link.address}/${lun}`
  }

  execute(request: ScsiRequest): Promise<ScsiResponse> {
    if (this.closed) {
      return Promise.reject(new TransportError(this.address, 'transport is closed', false))
    }
    if (request.dataOut && request.dataInLength) {
      return Promise.reject(
        new Error('a SCSI request has either dataOut or dataInLength, not both')
      )
    }
    if (!(request.timeoutMs > 0)) {
      return Promise.reject(new Error(`invalid SCSI command timeout ${request.timeoutMs}`))
    }
    const lossesAtSubmit = this.link.losses
    const run = async (): Promise<ScsiResponse> => {
      if (this.link.losses !== lossesAtSubmit) {
        throw new TransportError(
          this.address,
          'the connection was lost while this command waited behind another; it was not sent',
          false
        )
      }
      const session = await this.link.current()
      return session.execute(this.lun, request, this.address)
    }
    const result = this.tail.then(run, run)
    this.tail = result.catch(() => undefined)
    return result
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.tail
    if (--this.link.users === 0) {
      links.delete(this.link.key)
      await this.link.close()
    }
  }
}

/**
 * A transport for one LUN. Logs in (or joins this process's session to the target) before
 * resolving, so a wrong address or target name fails here with a TransportError.
 */
export async function openIscsiTransport(options: IscsiLunOptions): Promise<ScsiTransport> {
  if (!Number.isInteger(options.lun) || options.lun < 0 || options.lun > 0x3fff) {
    throw new Error(`invalid LUN ${options.lun}`)
  }
  const port = options.port ?? DEFAULT_ISCSI_PORT
  const initiatorName = options.initiatorName ?? defaultInitiatorName()
  const key = `${options.host}|${port}|${options.target}|${initiatorName}`
  let link = links.get(key)
  if (!link) {
    link = new TargetLink(key, { ...options, port, initiatorName })
    links.set(key, link)
  }
  link.users++
  const transport = new IscsiLun(link, options.lun)
  try {
    await link.current()
  } catch (error) {
    await transport.close()
    throw error
  }
  return transport
}
