/**
 * From a drive or changer name in tape.cfg to an open device: the virtual library for `vlib:`
 * addresses, PBS virtual drives for `virtual:` sections, and SCSI drives and changers (LtoDrive,
 * ScsiChanger) for `iscsi://` and `/dev/…` addresses.
 */
import { ApiError, invalidArgument } from '../api/errors'
import { parseDeviceAddress, type DeviceAddress } from '../config/device-path'
import type { CoreServices } from '../tapedeck'
import type { MediaChanger } from '../devices/media-changer'
import type { TapeDriver } from '../devices/tape-driver'
import { VirtualLibrary } from '../devices/virtual'
import { PbsVirtualChanger, PbsVirtualDrive } from '../devices/pbs-virtual'
import { LtoDrive } from '../devices/lto/lto-drive'
import { ScsiChanger } from '../devices/scsi-changer/scsi-changer'
import { openScsiTransport, type ScsiDeviceAddress } from '../devices/scsi/open-transport'
import type { ChangerConfig, DriveConfig } from '../api/contract'

export interface ChangerHandle {
  name: string
  changer: MediaChanger
  /** Storage slots the admin told Tapedeck to treat as import/export slots (tape.cfg export-slots). */
  exportSlots: number[]
  /** A changer that makes a blank tape for a label it does not have (a PBS virtual drive). */
  createTape?: (label: string) => Promise<void>
  /**
   * The drive is its own changer (a PBS virtual drive). As in PBS: ejecting an empty drive
   * succeeds, there is nowhere to export a tape to, and cleaning has nothing to do.
   */
  driveIsChanger?: true
  close(): Promise<void>
}

export interface DriveHandle {
  name: string
  driver: TapeDriver
  changer?: ChangerHandle & { driveNumber: number }
  close(): Promise<void>
}

function wrongAddress(kind: string, name: string, path: string, expected: string): ApiError {
  return new ApiError('invalid-argument', `${kind} '${name}' (${path}): ${expected}`)
}

const isScsi = (address: DeviceAddress): address is ScsiDeviceAddress =>
  address.transport !== 'vlib'

const exportSlotsOf = (config: ChangerConfig) =>
  (config['export-slots'] ?? '').split(',').filter(Boolean).map(Number)

async function openLibrary(config: ChangerConfig): Promise<VirtualLibrary> {
  const address = parseDeviceAddress(config.path)
  if (address.transport !== 'vlib' || address.drive !== undefined) {
    throw wrongAddress('changer', config.name, config.path, 'not a virtual library (vlib:/dir)')
  }
  return VirtualLibrary.open(address.directory, { name: config.name })
}

export async function openChanger(core: CoreServices, name: string): Promise<ChangerHandle> {
  return openChangerOf((await core.config.devices.changer(name)).config)
}

async function openChangerOf(config: ChangerConfig): Promise<ChangerHandle> {
  const { name } = config
  const address = parseDeviceAddress(config.path)
  if (isScsi(address)) {
    const changer = await ScsiChanger.open(name, await openScsiTransport(address))
    return { name, changer, exportSlots: exportSlotsOf(config), close: () => changer.close() }
  }
  const library = await openLibrary(config)
  return {
    name,
    changer: library.changer(),
    exportSlots: exportSlotsOf(config),
    close: () => library.close()
  }
}

/** A PBS virtual drive with itself as changer (drive 0), as PBS uses it. */
async function openPbsVirtualDrive(config: DriveConfig): Promise<DriveHandle> {
  const drive = await PbsVirtualDrive.open(config.name, config.path, {
    maxSize: config['max-size'],
    purpose: `tapedeck drive ${config.name} (process ${process.pid})`
  })
  return {
    name: config.name,
    driver: drive,
    changer: {
      name: config.name,
      changer: new PbsVirtualChanger(drive),
      driveNumber: 0,
      exportSlots: [],
      createTape: (label) => drive.createTape(label),
      driveIsChanger: true,
      close: async () => undefined
    },
    close: () => drive.close()
  }
}

/** Open a drive (and its changer); callers hold the drive lock. */
export async function openDrive(core: CoreServices, name: string): Promise<DriveHandle> {
  const { config } = await core.config.devices.drive(name)
  if (config.type === 'virtual') return openPbsVirtualDrive(config)
  const address = parseDeviceAddress(config.path)
  if (isScsi(address)) return openScsiDrive(core, config, address)
  if (address.drive === undefined) {
    throw wrongAddress(
      'drive',
      name,
      config.path,
      'a virtual library drive needs #<n> (vlib:/dir#0)'
    )
  }
  // Without a changer the drive is used as a standalone drive: whatever tape sits in it.
  const changerConfig = config.changer
    ? (await core.config.devices.changer(config.changer)).config
    : undefined
  const library = changerConfig
    ? await openLibrary(changerConfig)
    : await VirtualLibrary.open(address.directory)
  try {
    const driver = await library.drive(address.drive)
    const handle: DriveHandle = { name, driver, close: () => library.close() }
    if (changerConfig) {
      handle.changer = {
        name: changerConfig.name,
        changer: library.changer(),
        driveNumber: address.drive,
        exportSlots: exportSlotsOf(changerConfig),
        close: async () => undefined
      }
    }
    return handle
  } catch (err) {
    await library.close()
    throw err
  }
}

/** An LTO drive over SG_IO or iSCSI, with its changer when one is configured. */
async function openScsiDrive(
  core: CoreServices,
  config: DriveConfig,
  address: ScsiDeviceAddress
): Promise<DriveHandle> {
  const drive = await LtoDrive.open(config.name, await openScsiTransport(address))
  const handle: DriveHandle = { name: config.name, driver: drive, close: () => drive.close() }
  if (!config.changer) return handle
  try {
    const changerConfig = (await core.config.devices.changer(config.changer)).config
    const changer = await openChangerOf(changerConfig)
    const driveNumber = config['changer-drivenum'] ?? 0
    drive.identifyVolumesWith(
      async () => (await changer.changer.status()).drives[driveNumber]?.['volume-tag']
    )
    handle.changer = {
      ...changer,
      changer: trackMoves(
        changer.changer,
        driveNumber,
        drive,
        changerConfig['eject-before-unload']
      ),
      driveNumber,
      close: async () => undefined
    }
    handle.close = async () => {
      try {
        await drive.close()
      } finally {
        await changer.close()
      }
    }
    return handle
  } catch (err) {
    await drive.close()
    throw err
  }
}

/**
 * The changer as seen from one of its drives: moves into or out of that drive tell the driver
 * (tgt raises no UNIT ATTENTION for them), and `eject-before-unload` unloads the drive first.
 */
function trackMoves(
  changer: MediaChanger,
  driveNumber: number,
  drive: LtoDrive,
  ejectBeforeUnload = false
): MediaChanger {
  const moved = async (n: number, loaded: boolean, move: () => Promise<void>) => {
    if (n !== driveNumber) return move()
    try {
      await move()
      drive.mediumChanged(loaded)
    } catch (err) {
      drive.mediumChanged(false)
      throw err
    }
  }
  return {
    name: changer.name,
    status: () => changer.status(),
    load: (slot, n) => moved(n, true, () => changer.load(slot, n)),
    unload: (n, slot) =>
      moved(n, false, async () => {
        if (ejectBeforeUnload && n === driveNumber) await drive.eject()
        await changer.unload(n, slot)
      }),
    transfer: (from, to) => changer.transfer(from, to),
    close: () => changer.close()
  }
}

/** PBS's drive resolution: --drive, then TAPEDECK_DRIVE, then the only configured drive. */
export async function resolveDrive(core: CoreServices, given: string | undefined): Promise<string> {
  if (given) return given
  const fromEnv = process.env.TAPEDECK_DRIVE
  if (fromEnv) return fromEnv
  const drives = await core.config.devices.listDrives()
  if (drives.length === 1) return drives[0]!.name
  throw invalidArgument(
    drives.length === 0
      ? 'no drive configured'
      : `several drives are configured (${drives.map((d) => d.name).join(', ')}); choose one with --drive or TAPEDECK_DRIVE`
  )
}
