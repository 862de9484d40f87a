/**
 * From a drive or changer name in tape.cfg to an open device: the virtual library for `vlib:`
 * addresses; SCSI transports (SG_IO, iSCSI) are not built yet and say so.
 */
import { ApiError, invalidArgument } from '../api/errors'
import { parseDeviceAddress } from '../config/device-path'
import type { CoreServices } from '../tapedeck'
import type { MediaChanger } from '../devices/media-changer'
import type { TapeDriver } from '../devices/tape-driver'
import { VirtualLibrary } from '../devices/virtual'
import type { ChangerConfig, DriveConfig } from '../api/contract'

export interface ChangerHandle {
  name: string
  changer: MediaChanger
  /** Storage slots the admin told Tapedeck to treat as import/export slots (tape.cfg export-slots). */
  exportSlots: number[]
  close(): Promise<void>
}

export interface DriveHandle {
  name: string
  driver: TapeDriver
  changer?: ChangerHandle & { driveNumber: number }
  close(): Promise<void>
}

function unsupported(kind: string, name: string, path: string): ApiError {
  return new ApiError(
    'invalid-argument',
    `${kind} '${name}' (${path}): SCSI devices are not supported yet — Tapedeck drives virtual libraries (vlib:) so far`
  )
}

const exportSlotsOf = (config: ChangerConfig) =>
  (config['export-slots'] ?? '').split(',').filter(Boolean).map(Number)

async function openLibrary(config: ChangerConfig): Promise<VirtualLibrary> {
  const address = parseDeviceAddress(config.path)
  if (address.transport !== 'vlib' || address.drive !== undefined) {
    throw unsupported('changer', config.name, config.path)
  }
  return VirtualLibrary.open(address.directory, { name: config.name })
}

export async function openChanger(core: CoreServices, name: string): Promise<ChangerHandle> {
  const { config } = await core.config.devices.changer(name)
  const library = await openLibrary(config)
  return {
    name,
    changer: library.changer(),
    exportSlots: exportSlotsOf(config),
    close: () => library.close()
  }
}

/** Open a drive (and its changer); callers hold the drive lock. */
export async function openDrive(core: CoreServices, name: string): Promise<DriveHandle> {
  const { config } = await core.config.devices.drive(name)
  const address = safeAddress(config)
  if (address.transport !== 'vlib' || address.drive === undefined) {
    throw unsupported('drive', name, config.path)
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

function safeAddress(config: DriveConfig) {
  if (config.type === 'virtual') {
    throw new ApiError(
      'invalid-argument',
      `drive '${config.name}' is a PBS virtual drive; those are not supported yet`
    )
  }
  return parseDeviceAddress(config.path)
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
