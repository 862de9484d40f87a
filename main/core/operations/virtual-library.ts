/** `tapedeck vlib create`: a virtual library on disk, registered as changer + drives in tape.cfg. */
import { resolve } from 'node:path'
import type { ApiArgs, ApiResult } from '../api/contract'
import { ApiError, invalidArgument } from '../api/errors'
import { createVirtualLibrary } from '../devices/virtual'
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
