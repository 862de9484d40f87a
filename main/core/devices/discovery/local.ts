/**
 * Tape drives and changers attached to this machine, found the way PBS finds them
 * (`pbs-tape/src/linux_list_drives.rs`, scsi.md §6.1): every `/sys/class/scsi_generic/sgN` whose
 * SCSI device has peripheral type 1 (tape) or 8 (medium changer), with vendor, model and revision
 * from sysfs and the serial number from the raw VPD page 80h the kernel exposes.
 *
 * PBS reads the same values through udev (ID_VENDOR, ID_MODEL, ID_SCSI_SERIAL) and lists a device
 * only when its udev name exists: `/dev/tape/by-id/scsi-<serial>-sg` for a drive (PBS's own udev
 * rule), `/dev/tape/by-id/scsi-<serial>` for a changer (the stock rule). Tapedeck does not need udev
 * for the lookup: it takes whichever `/dev/tape/by-id` link points at the device's sg node (PBS's
 * name first) and falls back to `/dev/sgN`, so a machine without those rules still sees its drives.
 * Tape drives must be addressed through their sg node, never `/dev/nstN` (PBS rejects the st driver).
 *
 * Everything is read tolerantly: a missing or odd attribute leaves a field empty or skips that one
 * device, never the scan.
 */
import { readdir, readFile, readlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ScannedDevice, ScannedKind } from './scanned-device'

export interface LocalScanOptions {
  /** Default `/sys`; tests point it at a fake tree. */
  sysfsRoot?: string
  /** Default `/dev`. Paths in the result always start with `/dev`, whatever this is. */
  devRoot?: string
}

const SG_NAME = /^sg(\d+)$/
const KINDS: Record<string, ScannedKind> = { '1': 'tape', '8': 'changer' }

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'latin1')
  } catch {
    return null
  }
}

async function readBytes(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path)
  } catch {
    return null
  }
}

async function list(path: string): Promise<string[]> {
  try {
    return await readdir(path)
  } catch {
    return []
  }
}

/** Printable ASCII of a SCSI identification field: NULs and padding removed. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\xff]/g, ' ').trim()
}

/**
 * The serial number in a raw Unit Serial Number VPD page (80h): byte 1 is the page code, bytes
 * 2–3 the length of the serial that follows the 4-byte header. Empty when the page is not one.
 */
export function serialFromVpd80(page: Uint8Array): string {
  if (page.length < 4 || page[1] !== 0x80) return ''
  const length = (page[2]! << 8) | page[3]!
  return clean(Buffer.from(page.subarray(4, 4 + length)).toString('latin1'))
}

/**
 * The `nstN` name of a tape device: `device/scsi_tape/nstN` on current kernels, a
 * `device/scsi_tape:nstN` link with CONFIG_SYSFS_DEPRECATED.
 */
async function nstName(deviceDir: string): Promise<string | null> {
  const nested = (await list(join(deviceDir, 'scsi_tape'))).find((n) => /^nst\d+$/.test(n))
  if (nested) return nested
  for (const entry of await list(deviceDir)) {
    const m = /^scsi_tape:(nst\d+)$/.exec(entry)
    if (m) return m[1]!
  }
  return null
}

/** by-id link name → the node it points at (`sg3`, `nst0`), for links into the dev root. */
async function byIdLinks(devRoot: string): Promise<Map<string, string>> {
  const dir = join(devRoot, 'tape', 'by-id')
  const links = new Map<string, string>()
  for (const name of await list(dir)) {
    try {
      const target = await readlink(join(dir, name))
      // udev writes relative links (../../sg3); an absolute one names the real /dev
      const node = target.startsWith('/dev/')
        ? target.slice('/dev/'.length)
        : resolve(dir, target).slice(resolve(devRoot).length + 1)
      links.set(name, node)
    } catch {
      // not a link: nothing udev made
    }
  }
  return links
}

/**
 * The stable name of an sg node: PBS's `scsi-<serial>-sg` (drive) or `scsi-<serial>` (changer)
 * when it exists, else another by-id link to the node, else the node itself.
 */
function stablePath(
  kind: ScannedKind,
  sg: string,
  serial: string,
  links: Map<string, string>
): string {
  const pointing = [...links].filter(([, node]) => node === sg).map(([name]) => name)
  const preferred = kind === 'tape' ? `scsi-${serial}-sg` : `scsi-${serial}`
  const name = pointing.includes(preferred) ? preferred : pointing.sort()[0]
  return name ? `/dev/tape/by-id/${name}` : `/dev/${sg}`
}

export async function scanLocalDevices(options: LocalScanOptions = {}): Promise<ScannedDevice[]> {
  const sysfs = options.sysfsRoot ?? '/sys'
  const devRoot = options.devRoot ?? '/dev'
  const classDir = join(sysfs, 'class', 'scsi_generic')
  const sgNames = (await list(classDir))
    .filter((n) => SG_NAME.test(n))
    .sort((a, b) => Number(SG_NAME.exec(a)![1]) - Number(SG_NAME.exec(b)![1]))
  const links = await byIdLinks(devRoot)

  const found: ScannedDevice[] = []
  for (const sg of sgNames) {
    const deviceDir = join(classDir, sg, 'device')
    const kind = KINDS[(await readText(join(deviceDir, 'type')))?.trim() ?? '']
    if (!kind) continue
    const attribute = async (name: string) => clean((await readText(join(deviceDir, name))) ?? '')
    const vpd = await readBytes(join(deviceDir, 'vpd_pg80'))
    const serial = vpd ? serialFromVpd80(vpd) : ''
    const device: ScannedDevice = {
      kind,
      path: stablePath(kind, sg, serial, links),
      vendor: await attribute('vendor'),
      model: await attribute('model'),
      revision: await attribute('rev'),
      serial,
      'sg-device': `/dev/${sg}`
    }
    if (kind === 'tape') {
      const nst = await nstName(deviceDir)
      if (nst) device['tape-device'] = `/dev/${nst}`
    }
    found.push(device)
  }
  return found
}
