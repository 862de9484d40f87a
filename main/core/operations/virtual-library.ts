/** `tapedeck vlib create`: a virtual library on disk, registered as changer + drives in tape.cfg. */
import { resolve } from 'node:path'
import type { ApiArgs, ApiResult } from '../api/contract'
import { ApiError, invalidArgument } from '../api/errors'
import {
  clearFaults,
  createVirtualLibrary,
  listFaults,
  setFault,
  VirtualLibrary
} from '../devices/virtual'
import { parseDeviceAddress } from '../config/device-path'
import type { CoreServices } from '../tapedeck'

export async function createLibrary(
  core: CoreServices,
  args: ApiArgs<'vlib.create'>
): Promise<ApiResult<'vlib.create'>> {
  const drives = args.drives ?? 1
  const taken = await core.config.devices.takenNames()
  for (const id of [args.name, ...Array.from({ length: drives }, (_, n) => `${args.name}-${n}`)]) {
    if (taken.has(id)) throw new ApiError('already-exists', `'${id}' already exists in tape.cfg`)
  }
  if (!args.path.startsWith('/'))
    throw invalidArgument(`library path '${args.path}' must be absolute`)
  const directory = resolve(args.path)
  let created
  try {
    created = await createVirtualLibrary({
      path: directory,
      drives,
      slots: args.slots,
      importExport: args['import-export'],
      tapes: args.tapes,
      tapeSize: args['tape-size'],
      mediaType: args['media-type'],
      labelPrefix: args['label-prefix'],
      cleaning: args.cleaning
    })
  } catch (err) {
    throw invalidArgument((err as Error).message)
  }
  const driveNames = await core.config.devices.registerVirtualLibrary(
    args.name,
    directory,
    created.drives
  )
  return {
    changer: args.name,
    drives: driveNames,
    tapes: created.tapes,
    cleaning: created.cleaning
  }
}

/** The library directory behind a changer name, for fault injection from any process. */
async function libraryPath(core: CoreServices, changer: string): Promise<string> {
  const { config } = await core.config.devices.changer(changer)
  const address = parseDeviceAddress(config.path)
  if (address.transport !== 'vlib')
    throw invalidArgument(`changer '${changer}' is not a virtual library`)
  return address.directory
}

export async function addFault(core: CoreServices, args: ApiArgs<'vlib.fault-add'>) {
  return setFault(await libraryPath(core, args.changer), args.fault)
}

export async function faults(core: CoreServices, changer: string) {
  return listFaults(await libraryPath(core, changer))
}

export async function removeFaults(core: CoreServices, changer: string, id?: number) {
  return clearFaults(await libraryPath(core, changer), id === undefined ? {} : { id })
}

/** Turn the timing model (robot, rewind, locate, streaming speed) on for demos, or off. */
export async function setTiming(core: CoreServices, args: ApiArgs<'vlib.timing'>): Promise<void> {
  const library = await VirtualLibrary.open(await libraryPath(core, args.changer))
  try {
    const t = args.timing
    await library.setTiming(
      t && {
        loadSeconds: t['load-seconds'],
        rewindSeconds: t['rewind-seconds'],
        locateSecondsPerGiB: t['locate-seconds-per-gib'],
        speedBytesPerSecond: t.speed
      }
    )
  } finally {
    await library.close()
  }
}
