/**
 * Reading and writing the two label files at the start of a tape (file 0: media label, file 1:
 * media-set label), with the checks PBS makes before it writes a label.
 */
import { randomUUID } from 'node:crypto'
import { BlockedReader } from '../format/blocked-reader'
import { readMediaLabelFile, writeMediaLabelFile, type MediaLabel } from '../format/media-label'
import { readMediaSetLabelFile } from '../format/media-set-label'
import type { TapeDriver } from '../devices/tape-driver'
import type { MediaId } from '../media/inventory'

/** The labels of the tape in the drive; `undefined` for an empty (never labelled) tape. */
export async function readLabels(driver: TapeDriver): Promise<MediaId | undefined> {
  await driver.rewind()
  const first = await BlockedReader.open(driver)
  if (first === 'end-of-data') return undefined
  if (first === 'filemark')
    throw new Error(
      'found a filemark at the beginning of the tape; this is not a Tapedeck/PBS tape'
    )
  const { label } = await readMediaLabelFile(first)
  const second = await BlockedReader.open(driver)
  if (second === 'end-of-data' || second === 'filemark') return { label }
  const { label: mediaSet } = await readMediaSetLabelFile(second)
  return { label, mediaSet }
}

/** Whether the tape holds nothing at all (the only kind PBS labels). */
export async function tapeIsEmpty(driver: TapeDriver): Promise<boolean> {
  await driver.rewind()
  const first = await driver.readBlock()
  await driver.rewind()
  return first === 'end-of-data'
}

/** Write a new media label to an empty tape and read it back. */
export async function writeNewLabel(
  driver: TapeDriver,
  labelText: string,
  pool: string | undefined,
  log: (line: string) => void
): Promise<MediaLabel> {
  if (!(await tapeIsEmpty(driver))) {
    throw new Error('media is not empty (format it first)')
  }
  const label: MediaLabel = {
    uuid: randomUUID(),
    labelText,
    ctime: Math.floor(Date.now() / 1000),
    ...(pool ? { pool } : {})
  }
  log(
    `writing media label ${labelText} (uuid ${label.uuid}${pool ? `, pool ${pool}` : ', no pool'})`
  )
  // Labels are always written in clear (PBS label_tape disables encryption first).
  await driver.setEncryption(undefined)
  await driver.format(true)
  await writeMediaLabelFile(driver, label)
  await driver.writeFilemarks(0)
  const check = await readLabels(driver)
  if (!check || check.label.uuid !== label.uuid || check.label.labelText !== labelText) {
    throw new Error('verifying the new label failed: the tape does not read back what was written')
  }
  log('label verified')
  return label
}
