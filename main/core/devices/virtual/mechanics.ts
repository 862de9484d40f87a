/**
 * What happens physically when a cartridge enters or leaves a drive, as pure changes of the library
 * state. Shared by the robot (changer) and by the drive's own load/eject.
 */
import { hostname } from 'node:os'
import { isCleaningTape } from '../media-changer'
import type { DriveState, LibraryState, SlotState } from './schema'
import { sortTapeAlertFlags } from '../tape-alert'
import { emptyUsage } from './health'

export interface SlotRef {
  slot: SlotState
  importExport: boolean
}

/** Slot numbers as mtx/PBS: 1-based, storage slots first, then import/export slots. */
export function slotRef(state: LibraryState, slot: number): SlotRef | undefined {
  if (!Number.isInteger(slot) || slot < 1) return undefined
  const storage = state.slots.length
  if (slot <= storage) return { slot: state.slots[slot - 1], importExport: false }
  const ie = state['import-export'][slot - storage - 1]
  return ie && { slot: ie, importExport: true }
}

export const slotCount = (state: LibraryState): number =>
  state.slots.length + state['import-export'].length

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A drive handle has a tape file open for writing, and its process still exists. */
export function writerActive(d: DriveState): boolean {
  if (!d.writer) return false
  return d.writer.host !== hostname() || processAlive(d.writer.pid)
}

/** A cleaning request (injected) is pending for drive `n`. */
export const needsCleaning = (state: LibraryState, n: number): boolean =>
  state.faults.some(
    (f) =>
      (f.kind === 'cleaning-request' && f.drive === n) ||
      (f.kind === 'tape-alert' &&
        f.drive === n &&
        f.flags.some((x) => x === 'CLEAN_NOW' || x === 'CLEAN_PERIODIC'))
  )

/** Active TapeAlert flags of drive `n`: raised by the drive, injected, and CLEAN_NOW on request. */
export function driveAlertFlags(state: LibraryState, n: number): string[] {
  const flags = [...state.drives[n]['alert-flags']]
  for (const f of state.faults) {
    if (f.kind === 'tape-alert' && f.drive === n) flags.push(...f.flags)
    if (f.kind === 'cleaning-request' && f.drive === n) flags.push('CLEAN_NOW')
  }
  return sortTapeAlertFlags(flags)
}

export type ThreadResult = 'loaded' | 'cleaned' | 'expired-cleaning-media'

/**
 * The drive takes the cartridge that sits in it. A data cartridge is threaded and ready at the
 * beginning of tape. A cleaning cartridge runs one cleaning cycle (one use; clears the cleaning
 * request) and is ejected again; an expired one cleans nothing and raises EXPIRED_CLEANING_MEDIA.
 * Flags the drive raised for the previous cartridge are cleared, as on a real load.
 */
export function threadCartridge(state: LibraryState, n: number): ThreadResult {
  const d = state.drives[n]
  const tape = d.tape
  if (tape === null) throw new Error(`drive ${n} is empty`)
  const c = state.cartridges[tape]
  d['alert-flags'] = []
  d['mount-id']++
  d.writer = null
  c.mounts++
  if (!isCleaningTape(tape)) {
    c['last-mount'] = emptyUsage()
    d.loaded = true
    d.position = { file: 0, block: 0 }
    return 'loaded'
  }
  d.loaded = false
  d.position = null
  const uses = c['cleaning-uses-left'] ?? 0
  if (uses <= 0) {
    d['alert-flags'] = ['EXPIRED_CLEANING_MEDIA']
    return 'expired-cleaning-media'
  }
  c['cleaning-uses-left'] = uses - 1
  state.faults = state.faults.flatMap((f) => {
    if (f.kind === 'cleaning-request' && f.drive === n) return []
    if (f.kind !== 'tape-alert' || f.drive !== n) return [f]
    const flags = f.flags.filter((x) => x !== 'CLEAN_NOW' && x !== 'CLEAN_PERIODIC')
    return flags.length ? [{ ...f, flags }] : []
  })
  return 'cleaned'
}

/** The drive rewinds (a pass, if the tape was past BOT) and unthreads; the cartridge stays in it. */
export function unthreadCartridge(state: LibraryState, n: number): void {
  const d = state.drives[n]
  if (d.tape !== null && d.loaded && d.position && (d.position.file > 0 || d.position.block > 0)) {
    state.cartridges[d.tape].passes++
  }
  d.loaded = false
  d.position = null
  d.writer = null
  d['mount-id']++
}
