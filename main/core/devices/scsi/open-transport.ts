/**
 * From a parsed device address to a SCSI transport: `iscsi://` through the built-in initiator,
 * `/dev/…` through Linux SG_IO (not built yet, and it says so).
 */
import type { DeviceAddress } from '../../config/device-path'
import { openIscsiTransport } from './iscsi/initiator'
import type { ScsiTransport } from './transport'

export type ScsiDeviceAddress = Exclude<DeviceAddress, { transport: 'vlib' }>

export async function openScsiTransport(address: ScsiDeviceAddress): Promise<ScsiTransport> {
  if (address.transport === 'iscsi') {
    const { host, port, target, lun } = address
    return openIscsiTransport({ host, port, target, lun })
  }
  throw new Error(
    `${address.path}: the SG_IO transport for local SCSI devices is not built yet; use an iscsi:// address`
  )
}
