/** Drives and changers in tape.cfg, with the reference rules PBS enforces. */
import { mkdir } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import type { ApiArgs, ChangerConfig, DriveConfig } from '../api/contract'
import { ApiError, invalidArgument } from '../api/errors'
import type { ConfigFile } from './config-file'
import { checkDevicePath } from './device-path'
import type { Section } from './section-config'
import {
  assertNewId,
  deleteProperties,
  findSection,
  optionalBoolean,
  optionalNumber,
  optionalString,
  setProperties
} from './sections'

const isDrive = (s: Section) => s.type === 'lto' || s.type === 'virtual'
const isChanger = (s: Section) => s.type === 'changer'

/**
 * The changer a drive's tapes are online in: its changer section, or for a PBS virtual drive the
 * drive itself (PBS `media_changer` names the drive).
 */
export const driveChangerName = (config: DriveConfig): string | undefined =>
  config.type === 'virtual' ? config.name : config.changer

function toDrive(s: Section): DriveConfig {
  return {
    name: s.id,
    type: s.type as DriveConfig['type'],
    path: String(s.properties.path),
    changer: optionalString(s.properties.changer),
    'changer-drivenum': optionalNumber(s.properties['changer-drivenum']),
    'max-size': optionalNumber(s.properties['max-size'])
  }
}

function toChanger(s: Section): ChangerConfig {
  return {
    name: s.id,
    path: String(s.properties.path),
    'export-slots': optionalString(s.properties['export-slots']),
    'eject-before-unload': optionalBoolean(s.properties['eject-before-unload'])
  }
}

function normalizeSlots(slots: string): string {
  const numbers = slots.split(',').map((s) => Number(s.trim()))
  if (numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw invalidArgument('export-slots must list slot numbers of 1 or higher')
  }
  return [...new Set(numbers)].sort((a, b) => a - b).join(',')
}

async function validPath(path: string): Promise<string> {
  try {
    await checkDevicePath(path)
  } catch (err) {
    throw invalidArgument((err as Error).message)
  }
  return path
}

function assertUniquePath(
  sections: Section[],
  path: string,
  self: string | undefined,
  kind: string
) {
  const other = sections.find(
    (s) =>
      s.id !== self &&
      s.properties.path === path &&
      (kind === 'changer' ? isChanger(s) : isDrive(s))
  )
  if (other) throw new ApiError('in-use', `path ${path} is already used by ${kind} '${other.id}'`)
}

/** Drive `name` must point at an existing changer and not share its drive number. */
function assertChangerSlot(sections: Section[], drive: Section): void {
  const changer = optionalString(drive.properties.changer)
  const drivenum = optionalNumber(drive.properties['changer-drivenum']) ?? 0
  if (changer === undefined) {
    if (drive.properties['changer-drivenum'] !== undefined) {
      throw invalidArgument('changer-drivenum requires a changer')
    }
    return
  }
  const target = sections.find((s) => s.id === changer)
  if (!target || !isChanger(target)) throw invalidArgument(`changer '${changer}' does not exist`)
  const clash = sections.find(
    (s) =>
      s.id !== drive.id &&
      isDrive(s) &&
      s.properties.changer === changer &&
      (optionalNumber(s.properties['changer-drivenum']) ?? 0) === drivenum
  )
  if (clash) {
    throw new ApiError(
      'in-use',
      `drive number ${drivenum} of changer '${changer}' is already drive '${clash.id}'`
    )
  }
  // PBS does not store the default drive number.
  if (drivenum === 0) delete drive.properties['changer-drivenum']
}

export class DeviceConfig {
  constructor(private readonly file: ConfigFile) {}

  async listDrives(): Promise<DriveConfig[]> {
    const { sections } = await this.file.read()
    return sections.filter(isDrive).map(toDrive)
  }

  async drive(name: string): Promise<{ config: DriveConfig; digest: string }> {
    const { sections, digest } = await this.file.read()
    const section = findSection(sections.filter(isDrive), name, 'drive')
    return { config: toDrive(section), digest }
  }

  async createDrive(args: ApiArgs<'drive.create'>): Promise<void> {
    if (args.type === 'virtual') return this.createVirtualDrive(args)
    if (args['max-size'] !== undefined) throw invalidArgument('max-size is for virtual drives only')
    const path = await validPath(args.path)
    await this.file.update((sections) => {
      assertNewId(sections, args.name)
      assertUniquePath(sections, path, undefined, 'drive')
      const section: Section = { type: 'lto', id: args.name, properties: { path } }
      setProperties(section, {
        changer: args.changer,
        'changer-drivenum': args['changer-drivenum']
      })
      assertChangerSlot(sections, section)
      sections.push(section)
    })
  }

  /** A PBS virtual drive: `virtual: NAME` with `path` (its directory) and optional `max-size`. */
  private async createVirtualDrive(args: ApiArgs<'drive.create'>): Promise<void> {
    if (args.changer !== undefined || args['changer-drivenum'] !== undefined) {
      throw invalidArgument('a virtual drive is its own changer; it takes no changer options')
    }
    if (!isAbsolute(args.path)) {
      throw invalidArgument(`virtual drive path must be an absolute directory, not '${args.path}'`)
    }
    const path = resolve(args.path)
    await this.file.update(async (sections) => {
      assertNewId(sections, args.name)
      assertUniquePath(sections, path, undefined, 'drive')
      try {
        await mkdir(path, { recursive: true })
      } catch (err) {
        throw invalidArgument(`cannot create directory ${path}: ${(err as Error).message}`)
      }
      const section: Section = { type: 'virtual', id: args.name, properties: { path } }
      setProperties(section, { 'max-size': args['max-size'] })
      sections.push(section)
    })
  }

  async updateDrive(args: ApiArgs<'drive.update'>): Promise<void> {
    const path = args.path === undefined ? undefined : await validPath(args.path)
    await this.file.update((sections) => {
      const section = findSection(sections.filter(isDrive), args.name, 'drive')
      const deleted = new Set<string>(args.delete ?? [])
      if (deleted.has('changer')) deleted.add('changer-drivenum')
      deleteProperties(section, [...deleted])
      if (args['max-size'] !== undefined && section.type !== 'virtual') {
        throw invalidArgument('max-size is for virtual drives only')
      }
      if (section.type === 'virtual' && (args.changer ?? args['changer-drivenum']) !== undefined) {
        throw invalidArgument('a virtual drive is its own changer; it takes no changer options')
      }
      if (path !== undefined) {
        if (section.type !== 'lto') {
          throw invalidArgument(
            `drive '${args.name}' is a ${section.type} drive; its path cannot be changed here`
          )
        }
        assertUniquePath(sections, path, section.id, 'drive')
      }
      setProperties(section, {
        path,
        changer: args.changer,
        'changer-drivenum': args['changer-drivenum'],
        'max-size': args['max-size']
      })
      assertChangerSlot(sections, section)
    }, args.digest)
  }

  async removeDrive(name: string, digest?: string): Promise<void> {
    await this.file.update((sections) => {
      const section = findSection(sections.filter(isDrive), name, 'drive')
      sections.splice(sections.indexOf(section), 1)
    }, digest)
  }

  async listChangers(): Promise<ChangerConfig[]> {
    const { sections } = await this.file.read()
    return sections.filter(isChanger).map(toChanger)
  }

  async changer(name: string): Promise<{ config: ChangerConfig; digest: string }> {
    const { sections, digest } = await this.file.read()
    return { config: toChanger(findSection(sections.filter(isChanger), name, 'changer')), digest }
  }

  async createChanger(args: ApiArgs<'changer.create'>): Promise<void> {
    const path = await validPath(args.path)
    await this.file.update((sections) => {
      assertNewId(sections, args.name)
      assertUniquePath(sections, path, undefined, 'changer')
      const section: Section = { type: 'changer', id: args.name, properties: { path } }
      setProperties(section, {
        'export-slots':
          args['export-slots'] === undefined ? undefined : normalizeSlots(args['export-slots']),
        'eject-before-unload': args['eject-before-unload']
      })
      sections.push(section)
    })
  }

  async updateChanger(args: ApiArgs<'changer.update'>): Promise<void> {
    const path = args.path === undefined ? undefined : await validPath(args.path)
    await this.file.update((sections) => {
      const section = findSection(sections.filter(isChanger), args.name, 'changer')
      deleteProperties(section, args.delete)
      if (path !== undefined) assertUniquePath(sections, path, section.id, 'changer')
      setProperties(section, {
        path,
        'export-slots':
          args['export-slots'] === undefined ? undefined : normalizeSlots(args['export-slots']),
        'eject-before-unload': args['eject-before-unload']
      })
    }, args.digest)
  }

  /** Register a virtual library: changer `name` and drives `name-0 … name-(n-1)`, in one write. */
  async registerVirtualLibrary(name: string, directory: string, drives: number): Promise<string[]> {
    const driveNames = Array.from({ length: drives }, (_, n) => `${name}-${n}`)
    await this.file.update((sections) => {
      for (const id of [name, ...driveNames]) assertNewId(sections, id)
      assertUniquePath(sections, `vlib:${directory}`, undefined, 'changer')
      sections.push({ type: 'changer', id: name, properties: { path: `vlib:${directory}` } })
      driveNames.forEach((id, n) => {
        const drive: Section = {
          type: 'lto',
          id,
          properties: { path: `vlib:${directory}#${n}`, changer: name, 'changer-drivenum': n }
        }
        assertChangerSlot(sections, drive)
        sections.push(drive)
      })
    })
    return driveNames
  }

  /** Names already taken in tape.cfg (drives and changers share one namespace). */
  async takenNames(): Promise<Set<string>> {
    const { sections } = await this.file.read()
    return new Set(sections.map((s) => s.id))
  }

  async removeChanger(name: string, digest?: string): Promise<void> {
    await this.file.update((sections) => {
      const section = findSection(sections.filter(isChanger), name, 'changer')
      const users = sections.filter((s) => isDrive(s) && s.properties.changer === name)
      if (users.length > 0) {
        const names = users.map((s) => `'${s.id}'`).join(', ')
        throw new ApiError(
          'in-use',
          `changer '${name}' is used by drive ${names}; remove or reassign the drive first`
        )
      }
      sections.splice(sections.indexOf(section), 1)
    }, digest)
  }
}
