/**
 * `drive scan` / `changer scan`: the devices of this machine or of an iSCSI portal, each drive with
 * the changer it sits in when the changer says so, ready to be written to tape.cfg.
 */
import { basename, join } from 'node:path'
import { parseDeviceAddress } from '../../config/device-path'
import { ScsiChanger } from '../scsi-changer/scsi-changer'
import { openScsiTransport } from '../scsi/open-transport'
import { assignChangerDrives, type ChangerDrives, type DriveMatch } from './changer-drives'
import { parsePortal, scanIscsiPortal } from './iscsi-portal'
import { scanLocalDevices, type LocalScanOptions } from './local'
import type { ScannedDevice } from './scanned-device'

export interface ScannedDrive extends ScannedDevice {
  kind: 'tape'
  /** Path of the changer this drive sits in, and its drive number there (changer-drivenum). */
  'changer-path'?: string
  'changer-drivenum'?: number
  /** How the drive was placed: the changer reported its serial, or by elimination. */
  'changer-match'?: DriveMatch
}

export interface ScannedChanger extends ScannedDevice {
  kind: 'changer'
  /** Serial numbers of its drives as the changer reports them (DVCID), by drive number. */
  'drive-serials'?: (string | null)[]
}

export interface DeviceScan {
  changers: ScannedChanger[]
  drives: ScannedDrive[]
  /** What could not be read (a target, a changer's drive list); the rest is still reported. */
  warnings: string[]
}

export interface DeviceScanOptions extends LocalScanOptions {
  /** `HOST[:PORT]`: scan that iSCSI portal instead of this machine. */
  iscsiPortal?: string
  timeoutMs?: number
}

/** The changer's own list of its drives (READ ELEMENT STATUS, DVCID), by drive number. */
async function readDriveSerials(path: string): Promise<(string | null)[]> {
  const address = parseDeviceAddress(path)
  if (address.transport === 'vlib') throw new Error(`${path} is not a SCSI changer`)
  const changer = await ScsiChanger.open(path, await openScsiTransport(address))
  try {
    return await changer.driveSerials()
  } finally {
    await changer.close()
  }
}

export async function scanDevices(options: DeviceScanOptions = {}): Promise<DeviceScan> {
  const warnings: string[] = []
  let devices: ScannedDevice[]
  if (options.iscsiPortal !== undefined) {
    const scan = await scanIscsiPortal({
      ...parsePortal(options.iscsiPortal),
      timeoutMs: options.timeoutMs
    })
    devices = scan.devices
    warnings.push(...scan.warnings)
  } else {
    devices = await scanLocalDevices(options)
  }

  const changers: ScannedChanger[] = []
  const withDrives: ChangerDrives[] = []
  for (const device of devices) {
    if (device.kind !== 'changer') continue
    const changer: ScannedChanger = { ...device, kind: 'changer' }
    try {
      // local changers are opened through their sg node (under the scanned dev root)
      const sg = device['sg-device']
      const driveSerials = await readDriveSerials(
        sg ? join(options.devRoot ?? '/dev', basename(sg)) : device.path
      )
      changer['drive-serials'] = driveSerials
      withDrives.push({ path: device.path, driveSerials })
    } catch (err) {
      warnings.push(
        `cannot read the drive list of changer ${device.path}: ${(err as Error).message}`
      )
    }
    changers.push(changer)
  }

  const tapes = devices.filter((d) => d.kind === 'tape')
  const placed = assignChangerDrives(withDrives, tapes)
  const drives = tapes.map((device): ScannedDrive => {
    const place = placed.get(device.path)
    if (!place) return { ...device, kind: 'tape' }
    return {
      ...device,
      kind: 'tape',
      'changer-path': place.changerPath,
      'changer-drivenum': place.driveNumber,
      'changer-match': place.match
    }
  })
  return { changers, drives, warnings }
}
