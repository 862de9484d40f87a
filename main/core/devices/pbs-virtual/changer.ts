/**
 * A PBS virtual drive is its own changer (PBS `MediaChange for VirtualTapeHandle`): one drive
 * (number 0) and one storage slot per tape in the directory, padded to a multiple of 8 slots.
 * PBS numbers the slots in directory order; here the labels are sorted so a slot number means the
 * same tape from one call to the next. The tape in the drive is shown in the drive, with its slot
 * as `loaded-slot` and that slot empty, as a library would: the changer logic then unloads it
 * "back to its slot" (which just empties the drive, PBS ignores the target slot) and never sees a
 * tape twice. There are no import/export slots; transfers are not supported (as in PBS).
 */
import type { ChangerStatus, MediaChanger } from '../media-changer'
import { ChangerError } from '../virtual/errors'
import type { PbsVirtualDrive } from './drive'
import { listTapeLabels } from './layout'

export class PbsVirtualChanger implements MediaChanger {
  constructor(private readonly drive: PbsVirtualDrive) {}

  get name(): string {
    return this.drive.name
  }

  async status(): Promise<ChangerStatus> {
    const labels = await listTapeLabels(this.drive.dir)
    const loaded = this.drive.loadedLabel
    const loadedSlot = loaded === undefined ? -1 : labels.indexOf(loaded)
    const slots = Array.from({ length: Math.ceil(labels.length / 8) * 8 }, (_, i) => {
      const tag = i === loadedSlot ? undefined : labels[i]
      return { slot: i + 1, 'import-export': false, full: tag !== undefined, 'volume-tag': tag }
    })
    return {
      drives: [
        {
          'drive-number': 0,
          full: loaded !== undefined,
          'volume-tag': loaded,
          'loaded-slot': loadedSlot >= 0 ? loadedSlot + 1 : undefined
        }
      ],
      slots
    }
  }

  /** PBS `load_media_from_slot`: slot n is the n-th tape label. */
  async load(slot: number, driveNumber: number): Promise<void> {
    this.checkDrive(driveNumber)
    if (!Number.isInteger(slot) || slot < 1) {
      throw new ChangerError(this.name, 'invalid-element', `invalid slot ID ${slot}`)
    }
    const labels = await listTapeLabels(this.drive.dir)
    const label = labels[slot - 1]
    if (label === undefined || label === this.drive.loadedLabel) {
      throw new ChangerError(this.name, 'source-empty', `slot ${slot} is empty`)
    }
    await this.drive.loadTape(label)
  }

  /** PBS `unload_media`: the drive is emptied (loaded or not), whatever target slot is asked for. */
  async unload(driveNumber: number, _slot: number): Promise<void> {
    this.checkDrive(driveNumber)
    await this.drive.eject()
  }

  async transfer(_from: number, _to: number): Promise<void> {
    throw new ChangerError(
      this.name,
      'invalid-element',
      'media transfer is not supported by a PBS virtual drive'
    )
  }

  /** The drive handle owns the directory lock; closing the changer view releases nothing. */
  async close(): Promise<void> {}

  private checkDrive(driveNumber: number): void {
    if (driveNumber !== 0) {
      throw new ChangerError(
        this.name,
        'invalid-element',
        `a PBS virtual drive is drive 0 of its own changer (asked for drive ${driveNumber})`
      )
    }
  }
}
