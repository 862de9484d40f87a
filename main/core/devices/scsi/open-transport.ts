/**
 * From a parsed device address to a SCSI transport: `iscsi://` through the built-in initiator,
 * `/dev/…` through Linux SG_IO (its FFI package, koffi, loads on first use).
 */
import type { DeviceAddress } from '../../config/device-path'
import { openIscsiTransport } from './iscsi/initiator'
import { openSgIoTransport } from './sg-io/sg-transport'
import type { ScsiTransport } from './transport'

export type ScsiDeviceAddress = Exclude<DeviceAddress, { transport: 'vlib' }>

export async function openScsiTransport(address: ScsiDeviceAddress): Promise<ScsiTransport> {
  if (address.transport === 'iscsi') {
    const { host, port, target, lun } = address
    return openIscsiTransport({ host, port, target, lun })
  }
  return openSgIoTransport(address.path)
}
