/** What a device scan reports about one tape drive or changer (PBS `TapeDeviceInfo` plus a bit). */
export type ScannedKind = 'tape' | 'changer'

export interface ScannedDevice {
  kind: ScannedKind
  /**
   * The path a drive or changer entry in tape.cfg uses: `/dev/tape/by-id/…` when udev made one
   * for the SCSI generic node (else `/dev/sgN`), or `iscsi://host:port/iqn/lun`.
   */
  path: string
  vendor: string
  model: string
  revision: string
  /** Unit serial number (VPD page 80h), trimmed; empty when the device reports none. */
  serial: string
  /** Local devices: the SCSI generic node (`/dev/sgN`) behind `path`. */
  'sg-device'?: string
  /** Local tape drives: the kernel's non-rewinding tape node (`/dev/nstN`), for `mt` and friends. */
  'tape-device'?: string
}

/** `iscsi://host:port/iqn` for iSCSI devices, `local` for the rest: drives and their changer share it. */
export function scanGroupOf(path: string): string {
  const iscsi = /^(iscsi:\/\/.+)\/\d+$/.exec(path)
  return iscsi ? iscsi[1]! : 'local'
}
