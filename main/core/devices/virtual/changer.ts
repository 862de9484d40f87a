/**
 * The robot of the virtual library (SMC MOVE MEDIUM between slots and drives), with the errors a
 * real library gives. Slots are numbered like mtx and PBS: storage slots 1…S, then import/export
 * slots S+1…S+E. Drives are numbered from 0.
 *
 * Like most libraries it rewinds and unloads a drive itself when asked to take its cartridge, but
 * refuses while a drive handle is writing a tape file (PREVENT MEDIUM REMOVAL).
 */
import type { ChangerStatus, MediaChanger } from '../media-changer'
import { ChangerError, type ChangerErrorCode } from './errors'
import {
  type ThreadResult,
  slotCount,
  slotRef,
  threadCartridge,
  unthreadCartridge,
  writerActive
} from './mechanics'
import type { LibraryState, SlotState } from './schema'
import type { LibraryStore } from './store'
import { sleep } from './timing'

export interface VirtualChangerOptions {
  /** Aborts the waits of the timing model; an aborted move does not happen. */
  signal?: AbortSignal
}

export class VirtualChanger implements MediaChanger {
  private closed = false

  constructor(
    private readonly store: LibraryStore,
    readonly name: string,
    private readonly options: VirtualChangerOptions = {}
  ) {}

  get isClosed(): boolean {
    return this.closed
  }

  async status(): Promise<ChangerStatus> {
    this.assertOpen()
    return changerStatus(await this.store.read())
  }

  /** Moves the cartridge in `slot` into drive `driveNumber`, which loads (or cleans) with it. */
  async load(slot: number, driveNumber: number): Promise<void> {
    await this.loadWithResult(slot, driveNumber)
  }

  /**
   * `load`, telling what the drive did: `loaded` a data cartridge, `cleaned` itself with a
   * cleaning cartridge, or refused an `expired-cleaning-media` (flag EXPIRED_CLEANING_MEDIA).
   */
  async loadWithResult(slot: number, driveNumber: number): Promise<ThreadResult> {
    this.assertOpen()
    this.checkLoad(await this.store.read(), slot, driveNumber)
    await this.wait('load-seconds')
    return this.store.update((s) => {
      const src = this.checkLoad(s, slot, driveNumber)
      const d = s.drives[driveNumber]
      d.tape = src.tape
      d['source-slot'] = slot
      src.tape = null
      return threadCartridge(s, driveNumber)
    })
  }

  /** Takes the cartridge out of drive `driveNumber` (rewinding and unloading it) into `slot`. */
  async unload(driveNumber: number, slot: number): Promise<void> {
    this.assertOpen()
    const d = this.checkUnload(await this.store.read(), driveNumber, slot).drive
    if (d.loaded && d.position && (d.position.file > 0 || d.position.block > 0)) {
      await this.wait('rewind-seconds')
    }
    await this.wait('load-seconds')
    await this.store.update((s) => {
      const dest = this.checkUnload(s, driveNumber, slot).slot
      const drive = s.drives[driveNumber]
      unthreadCartridge(s, driveNumber)
      dest.tape = drive.tape
      drive.tape = null
      drive['source-slot'] = null
    })
  }

  /** Moves a cartridge between two slots (storage or import/export). */
  async transfer(from: number, to: number): Promise<void> {
    this.assertOpen()
    this.checkTransfer(await this.store.read(), from, to)
    await this.wait('load-seconds')
    await this.store.update((s) => {
      const [src, dest] = this.checkTransfer(s, from, to)
      dest.tape = src.tape
      src.tape = null
    })
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private checkLoad(s: LibraryState, slot: number, driveNumber: number): SlotState {
    const src = this.slot(s, slot, 'source')
    const d = this.drive(s, driveNumber)
    if (src.tape === null) throw this.error('source-empty', `source slot ${slot} is empty`)
    if (d.tape !== null) {
      throw this.error(
        'destination-full',
        `drive ${driveNumber} is full (holds ${d.tape}` +
          (d['source-slot'] !== null ? ` from slot ${d['source-slot']}` : '') +
          `); unload it first`
      )
    }
    return src
  }

  private checkUnload(s: LibraryState, driveNumber: number, slot: number) {
    const d = this.drive(s, driveNumber)
    const dest = this.slot(s, slot, 'destination')
    if (d.tape === null) throw this.error('source-empty', `drive ${driveNumber} is empty`)
    if (dest.tape !== null) {
      throw this.error('destination-full', `destination slot ${slot} is full (holds ${dest.tape})`)
    }
    if (writerActive(d)) {
      throw this.error(
        'medium-removal-prevented',
        `drive ${driveNumber} is busy writing ${d.tape} (process ${d.writer?.pid}); ` +
          `medium removal prevented (05/53/02)`
      )
    }
    return { drive: d, slot: dest }
  }

  private checkTransfer(s: LibraryState, from: number, to: number): [SlotState, SlotState] {
    const src = this.slot(s, from, 'source')
    const dest = this.slot(s, to, 'destination')
    if (from === to) {
      throw this.error('invalid-element', `source and destination are the same slot (${from})`)
    }
    if (src.tape === null) throw this.error('source-empty', `source slot ${from} is empty`)
    if (dest.tape !== null) {
      throw this.error('destination-full', `destination slot ${to} is full (holds ${dest.tape})`)
    }
    return [src, dest]
  }

  private slot(s: LibraryState, slot: number, role: string): SlotState {
    const ref = slotRef(s, slot)
    if (!ref) {
      throw this.error(
        'invalid-element',
        `invalid ${role} slot ${slot} (slots are numbered 1-${slotCount(s)})`
      )
    }
    return ref.slot
  }

  private drive(s: LibraryState, n: number) {
    const d = Number.isInteger(n) ? s.drives[n] : undefined
    if (!d) {
      throw this.error(
        'invalid-element',
        `invalid drive ${n} (drives are numbered 0-${s.drives.length - 1})`
      )
    }
    return d
  }

  private async wait(what: 'load-seconds' | 'rewind-seconds'): Promise<void> {
    const t = this.store.current?.timing
    if (t) await sleep(t[what] * 1000, this.options.signal)
  }

  private assertOpen(): void {
    if (this.closed) throw this.error('closed', 'changer handle is closed')
  }

  private error(code: ChangerErrorCode, message: string): ChangerError {
    return new ChangerError(this.name, code, message)
  }
}

/** Changer view of the library state, in the shape of `ChangerStatus`. */
export function changerStatus(s: LibraryState): ChangerStatus {
  const storage = s.slots.length
  return {
    drives: s.drives.map((d, n) => ({
      'drive-number': n,
      full: d.tape !== null,
      ...(d.tape !== null ? { 'volume-tag': d.tape } : {}),
      ...(d['source-slot'] !== null ? { 'loaded-slot': d['source-slot'] } : {})
    })),
    slots: [...s.slots, ...s['import-export']].map((sl, i) => ({
      slot: i + 1,
      'import-export': i >= storage,
      full: sl.tape !== null,
      ...(sl.tape !== null ? { 'volume-tag': sl.tape } : {})
    }))
  }
}
