/**
 * An opened virtual library: hands out drives and the changer, reports status, and sets faults,
 * timing and write protection. Each `openVirtualLibrary` call is independent (its own state cache),
 * exactly like another process would be; all coordination goes through library.json and its lock.
 */
import { access } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { ChangerStatus } from '../media-changer'
import { isCleaningTape } from '../media-changer'
import type { TapePosition } from '../tape-driver'
import { VirtualChanger, type VirtualChangerOptions, changerStatus } from './changer'
import { VirtualDrive, type VirtualDriveOptions } from './drive'
import { type FaultFilter, addFault, removeFaults } from './faults'
import { driveAlertFlags, needsCleaning, writerActive } from './mechanics'
import { type Fault, type FaultEntry, LIBRARY_FILE, type LibraryState } from './schema'
import { LibraryStore } from './store'
import { type TimingModel, timingFromState, timingToState } from './timing'

export interface OpenVirtualLibraryOptions {
  /** Changer name; drives are called `<name>-0`, `<name>-1`, … (default: directory name). */
  name?: string
}

export interface VirtualDriveInfo {
  'drive-number': number
  name: string
  /** A cartridge is in the drive element (threaded or not). */
  full: boolean
  /** Threaded and ready for I/O. */
  loaded: boolean
  'volume-tag'?: string
  'loaded-slot'?: number
  /** Last recorded position (updated at filemarks and positioning commands). */
  position?: TapePosition
  'alert-flags': string[]
  'needs-cleaning': boolean
  /** A drive handle is writing a tape file right now. */
  writing: boolean
}

export interface VirtualCartridgeInfo {
  'volume-tag': string
  'media-type': string
  location: 'drive' | 'slot' | 'import-export'
  /** Set when `location` is a slot (1-based, mtx numbering). */
  slot?: number
  /** Set when `location` is 'drive'. */
  'drive-number'?: number
  capacity: number
  'bytes-used': number
  files: number
  'write-protect': boolean
  'volume-mounts': number
  'medium-passes': number
  'cleaning-uses-left'?: number
}

export interface VirtualLibraryStatus {
  path: string
  name: string
  changer: ChangerStatus
  drives: VirtualDriveInfo[]
  cartridges: VirtualCartridgeInfo[]
  faults: FaultEntry[]
  timing: TimingModel | null
}

export class VirtualLibrary {
  readonly path: string
  readonly name: string
  private readonly store: LibraryStore
  private readonly handles = new Set<VirtualDrive | VirtualChanger>()

  private constructor(path: string, name: string) {
    this.path = path
    this.name = name
    this.store = new LibraryStore(path)
  }

  /** Opens the library at `path` (checks library.json). */
  static async open(
    path: string,
    options: OpenVirtualLibraryOptions = {}
  ): Promise<VirtualLibrary> {
    const dir = resolve(path)
    const lib = new VirtualLibrary(dir, options.name ?? basename(dir))
    await lib.store.read()
    return lib
  }

  /** Number of drives. */
  async driveCount(): Promise<number> {
    return (await this.store.read()).drives.length
  }

  /** A handle on drive `n` (0-based), named `<name>-<n>`. Callers hold the drive lock. */
  async drive(n: number, options: VirtualDriveOptions = {}): Promise<VirtualDrive> {
    const drive = await VirtualDrive.open(this.store, n, `${this.name}-${n}`, options)
    this.track(drive)
    return drive
  }

  changer(options: VirtualChangerOptions = {}): VirtualChanger {
    const changer = new VirtualChanger(this.store, this.name, options)
    this.track(changer)
    return changer
  }

  async status(): Promise<VirtualLibraryStatus> {
    return libraryStatus(await this.store.read(), this.path, this.name)
  }

  async setFault(fault: Fault): Promise<FaultEntry> {
    return addFault(this.store, fault)
  }

  /** Removes faults matching `filter` (all without one); returns what was removed. */
  async clearFaults(filter: FaultFilter = {}): Promise<FaultEntry[]> {
    return removeFaults(this.store, filter)
  }

  async listFaults(): Promise<FaultEntry[]> {
    return structuredClone((await this.store.read()).faults)
  }

  /** Turns the timing model on (missing fields = 0 = instant/unlimited) or off (`null`). */
  async setTiming(model: Partial<TimingModel> | null): Promise<void> {
    const timing = model && timingToState(model)
    await this.store.update((s) => {
      s.timing = timing
    })
  }

  /** Slides the write-protect tab of a cartridge. */
  async setWriteProtect(tape: string, on: boolean): Promise<void> {
    await this.store.update((s) => {
      const c = s.cartridges[tape]
      if (!c) throw new Error(`no cartridge ${tape} in this library`)
      if (isCleaningTape(tape)) throw new Error(`${tape} is a cleaning cartridge`)
      c['write-protect'] = on
    })
  }

  private track(handle: VirtualDrive | VirtualChanger): void {
    for (const h of this.handles) if (h.isClosed) this.handles.delete(h)
    this.handles.add(handle)
  }

  /** Closes every drive and changer handle opened through this library. */
  async close(): Promise<void> {
    const handles = [...this.handles]
    this.handles.clear()
    const results = await Promise.allSettled(handles.map((h) => h.close()))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
  }
}

export function libraryStatus(s: LibraryState, path: string, name: string): VirtualLibraryStatus {
  const storage = s.slots.length
  const cartridges: VirtualCartridgeInfo[] = []
  const info = (tape: string, where: Partial<VirtualCartridgeInfo>) => {
    const c = s.cartridges[tape]
    cartridges.push({
      'volume-tag': tape,
      'media-type': c['media-type'],
      location: 'slot',
      ...where,
      capacity: c.capacity,
      'bytes-used': c['bytes-used'],
      files: c.files,
      'write-protect': c['write-protect'],
      'volume-mounts': c.mounts,
      'medium-passes': c.passes,
      ...(c['cleaning-uses-left'] !== undefined
        ? { 'cleaning-uses-left': c['cleaning-uses-left'] }
        : {})
    })
  }
  s.drives.forEach((d, n) => d.tape && info(d.tape, { location: 'drive', 'drive-number': n }))
  ;[...s.slots, ...s['import-export']].forEach((sl, i) => {
    if (sl.tape) {
      info(sl.tape, { location: i < storage ? 'slot' : 'import-export', slot: i + 1 })
    }
  })
  return {
    path,
    name,
    changer: changerStatus(s),
    drives: s.drives.map((d, n) => ({
      'drive-number': n,
      name: `${name}-${n}`,
      full: d.tape !== null,
      loaded: d.loaded,
      ...(d.tape !== null ? { 'volume-tag': d.tape } : {}),
      ...(d['source-slot'] !== null ? { 'loaded-slot': d['source-slot'] } : {}),
      ...(d.position ? { position: { ...d.position } } : {}),
      'alert-flags': driveAlertFlags(s, n),
      'needs-cleaning': needsCleaning(s, n),
      writing: writerActive(d)
    })),
    cartridges,
    faults: structuredClone(s.faults),
    timing: timingFromState(s.timing)
  }
}

export async function openVirtualLibrary(
  path: string,
  options: OpenVirtualLibraryOptions = {}
): Promise<VirtualLibrary> {
  return VirtualLibrary.open(path, options)
}

/** Whether `path` holds a virtual library (a library.json exists; not validated). */
export async function isVirtualLibrary(path: string): Promise<boolean> {
  return access(join(resolve(path), LIBRARY_FILE)).then(
    () => true,
    () => false
  )
}

/** Injects a fault into the library at `path` (for `tapedeck vlib fault add`, other processes). */
export async function setFault(path: string, fault: Fault): Promise<FaultEntry> {
  return addFault(new LibraryStore(resolve(path)), fault)
}

/** Removes matching faults (all without filter) from the library at `path`. */
export async function clearFaults(path: string, filter: FaultFilter = {}): Promise<FaultEntry[]> {
  return removeFaults(new LibraryStore(resolve(path)), filter)
}

export async function listFaults(path: string): Promise<FaultEntry[]> {
  return (await new LibraryStore(resolve(path)).read()).faults
}
