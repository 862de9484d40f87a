/**
 * What PBS builds on top of MOVE MEDIUM (pbs-tape.md §8.7): load by label, unload to where the tape
 * came from, export to a mail slot, the list of online tapes. Works with any MediaChanger.
 */
import { ApiError } from '../api/errors'
import {
  isCleaningTape,
  type ChangerSlotStatus,
  type ChangerStatus
} from '../devices/media-changer'
import type { ChangerHandle } from './devices'

/** Changer status with the configured export slots marked as import/export. */
export async function changerStatus(handle: ChangerHandle): Promise<ChangerStatus> {
  const status = await handle.changer.status()
  for (const slot of status.slots) {
    if (handle.exportSlots.includes(slot.slot)) slot['import-export'] = true
  }
  return status
}

const storageSlots = (status: ChangerStatus) => status.slots.filter((s) => !s['import-export'])
const firstFree = (slots: ChangerSlotStatus[]) => slots.find((s) => !s.full)

/** Barcodes in drives and storage slots, cleaning tapes left out: the tapes a job can use. */
export function onlineLabels(status: ChangerStatus): string[] {
  const tags = [
    ...status.drives.map((d) => d['volume-tag']),
    ...storageSlots(status).map((s) => s['volume-tag'])
  ]
  return tags.filter((t): t is string => t !== undefined && !isCleaningTape(t)).sort()
}

function busy(message: string): ApiError {
  return new ApiError('conflict', message)
}

/** Unload drive `driveNumber`: to `target`, else back to its source slot if free, else the first free slot. */
export async function unloadDrive(
  handle: ChangerHandle,
  driveNumber: number,
  target?: number,
  log: (line: string) => void = () => undefined
): Promise<void> {
  const status = await changerStatus(handle)
  const drive = status.drives[driveNumber]
  if (!drive) throw new ApiError('not-found', `changer ${handle.name} has no drive ${driveNumber}`)
  if (!drive.full) throw busy(`drive ${driveNumber} of changer ${handle.name} is empty`)
  let slot = target
  if (slot === undefined) {
    const source = status.slots.find((s) => s.slot === drive['loaded-slot'])
    slot =
      source && !source.full && !source['import-export']
        ? source.slot
        : firstFree(storageSlots(status))?.slot
  }
  if (slot === undefined) throw busy(`changer ${handle.name} has no free slot to unload into`)
  log(`unloading ${drive['volume-tag'] ?? 'media'} from drive ${driveNumber} to slot ${slot}`)
  await handle.changer.unload(driveNumber, slot)
}

/** Load the tape with barcode `label` into drive `driveNumber` (no-op when it is already there). */
export async function loadByLabel(
  handle: ChangerHandle,
  driveNumber: number,
  label: string,
  log: (line: string) => void = () => undefined
): Promise<void> {
  if (isCleaningTape(label))
    throw busy(`${label} is a cleaning cartridge; it cannot be loaded for reading or writing`)
  let status = await changerStatus(handle)
  const drive = status.drives[driveNumber]
  if (!drive) throw new ApiError('not-found', `changer ${handle.name} has no drive ${driveNumber}`)
  if (drive['volume-tag'] === label) {
    log(`${label} is already in drive ${driveNumber}`)
    return
  }
  const other = status.drives.find((d) => d['volume-tag'] === label)
  if (other) throw busy(`${label} is in drive ${other['drive-number']} of changer ${handle.name}`)
  if (handle.createTape && !status.slots.some((s) => s['volume-tag'] === label)) {
    // PBS's virtual drive creates an empty tape for a label it does not have.
    log(`unable to find tape ${label} - creating it`)
    await handle.createTape(label)
    status = await changerStatus(handle)
  }
  const slot = status.slots.find((s) => s['volume-tag'] === label)
  if (!slot) throw new ApiError('not-found', `${label} is not in changer ${handle.name}`)
  if (slot['import-export']) {
    throw busy(`${label} is in import/export slot ${slot.slot}; move it to a storage slot first`)
  }
  if (drive.full) await unloadDrive(handle, driveNumber, undefined, log)
  log(`loading ${label} from slot ${slot.slot} into drive ${driveNumber}`)
  await handle.changer.load(slot.slot, driveNumber)
}

export async function loadFromSlot(
  handle: ChangerHandle,
  driveNumber: number,
  slotNumber: number,
  log: (line: string) => void = () => undefined
): Promise<string | undefined> {
  const status = await changerStatus(handle)
  const slot = status.slots.find((s) => s.slot === slotNumber)
  if (!slot) throw new ApiError('not-found', `changer ${handle.name} has no slot ${slotNumber}`)
  if (!slot.full) throw busy(`slot ${slotNumber} of changer ${handle.name} is empty`)
  if (isCleaningTape(slot['volume-tag']))
    throw busy(`slot ${slotNumber} holds cleaning cartridge ${slot['volume-tag']}`)
  if (status.drives[driveNumber]?.full) await unloadDrive(handle, driveNumber, undefined, log)
  log(`loading ${slot['volume-tag'] ?? 'media'} from slot ${slotNumber} into drive ${driveNumber}`)
  await handle.changer.load(slotNumber, driveNumber)
  return slot['volume-tag']
}

/** Move tape `label` (in a drive or storage slot) to the first free import/export slot. */
export async function exportByLabel(
  handle: ChangerHandle,
  label: string,
  log: (line: string) => void = () => undefined
): Promise<number> {
  const status = await changerStatus(handle)
  const target = firstFree(status.slots.filter((s) => s['import-export']))
  const inDrive = status.drives.find((d) => d['volume-tag'] === label)
  const inSlot = status.slots.find((s) => s['volume-tag'] === label)
  if (inSlot?.['import-export']) {
    log(`${label} is already in import/export slot ${inSlot.slot}`)
    return inSlot.slot
  }
  if (!inDrive && !inSlot)
    throw new ApiError('not-found', `${label} is not in changer ${handle.name}`)
  if (!target) throw busy(`changer ${handle.name} has no free import/export slot`)
  log(`exporting ${label} to import/export slot ${target.slot}`)
  if (inDrive) await handle.changer.unload(inDrive['drive-number'], target.slot)
  else await handle.changer.transfer(inSlot!.slot, target.slot)
  return target.slot
}
