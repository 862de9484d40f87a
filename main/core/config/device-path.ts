import { stat } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Where a drive or changer lives decides how Tapedeck talks to it: `/dev/…` goes through Linux
 * SG_IO, `iscsi://host[:port]/<target iqn>/<lun>` through the built-in iSCSI initiator, and
 * `vlib:<directory>` (changer) / `vlib:<directory>#<n>` (its drive n) is the virtual library.
 */
export type DeviceAddress =
  | { transport: 'sgio'; path: string }
  | { transport: 'iscsi'; host: string; port: number; target: string; lun: number }
  | { transport: 'vlib'; directory: string; drive?: number }

const VLIB = /^vlib:(\/[^#]*?)\/*(?:#(\d{1,3}))?$/

const ISCSI = /^iscsi:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/([^/\s]+)\/(\d{1,5})$/
const TARGET_NAME =
  /^(iqn\.\d{4}-\d{2}\.[A-Za-z0-9.-]+(:[^\s/]+)?|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$/

export function parseDeviceAddress(path: string): DeviceAddress {
  if (path.startsWith('/dev/')) {
    if (path.includes('/../') || path.endsWith('/..')) {
      throw new Error(`device path '${path}' must not contain '..'`)
    }
    return { transport: 'sgio', path }
  }
  if (path.startsWith('vlib:')) {
    const match = VLIB.exec(path)
    if (!match || match[1]!.split('/').includes('..')) {
      throw new Error(
        `'${path}' is not a virtual library address; expected vlib:/absolute/dir[#drive]`
      )
    }
    const drive = match[2] === undefined ? undefined : Number(match[2])
    return { transport: 'vlib', directory: match[1] || '/', drive }
  }
  if (path.startsWith('iscsi://')) {
    const match = ISCSI.exec(path)
    if (!match) {
      throw new Error(
        `'${path}' is not an iSCSI address; expected iscsi://host[:port]/<target iqn>/<lun>`
      )
    }
    const [, host, port, target, lun] = match
    const portNumber = port === undefined ? 3260 : Number(port)
    if (portNumber < 1 || portNumber > 65535) throw new Error(`iSCSI port ${port} is out of range`)
    if (!TARGET_NAME.test(target!)) {
      throw new Error(
        `'${target}' is not an iSCSI target name (iqn.YYYY-MM.domain[:name], eui. or naa.)`
      )
    }
    if (Number(lun) > 16383) throw new Error(`LUN ${lun} is out of range (0-16383)`)
    return { transport: 'iscsi', host: host!, port: portNumber, target: target!, lun: Number(lun) }
  }
  throw new Error(
    `'${path}' is not a device path; use /dev/… (e.g. /dev/tape/by-id/…-sg), iscsi://host[:port]/<iqn>/<lun> or vlib:/dir[#drive]`
  )
}

/** Syntax plus, for local devices, that the node exists and is a character device. */
export async function checkDevicePath(path: string): Promise<void> {
  const address = parseDeviceAddress(path)
  if (address.transport === 'vlib') {
    const exists = await stat(join(address.directory, 'library.json')).then(
      () => true,
      () => false
    )
    if (!exists)
      throw new Error(
        `${address.directory} is not a virtual library (create one with \`tapedeck vlib create\`)`
      )
    return
  }
  if (address.transport !== 'sgio') return
  let info
  try {
    info = await stat(path)
  } catch {
    throw new Error(`device ${path} does not exist`)
  }
  if (!info.isCharacterDevice()) throw new Error(`${path} is not a character device`)
}
