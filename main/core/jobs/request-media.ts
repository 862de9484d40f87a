/**
 * Getting a wanted tape into the job's drive (PBS `request_and_load_media`): a changer loads it
 * by barcode; at a standalone drive the job asks the operator and polls until the right tape is
 * in, saying why the tape in the drive is not it. Returns the tape's labels.
 */
import type { MediaId } from '../media/inventory'
import { loadByLabel } from '../operations/changer-logic'
import type { DriveHandle } from '../operations/devices'
import { readLabels } from '../operations/tape-labels'
import type { TaskContext } from './task-runner'

export interface WantedMedia {
  uuid: string
  labelText: string
}

export interface RequestOptions {
  /** Milliseconds between polls at a standalone drive (PBS: 5 s). */
  pollMs?: number
  /** Told each time the reason for asking changes (notifications). */
  onRequest?: (request: { label: string; drive: string; reason: string }) => void
}

export async function requestMedia(
  handle: DriveHandle,
  media: WantedMedia,
  ctx: TaskContext,
  options: RequestOptions = {}
): Promise<MediaId> {
  if (handle.changer) {
    await loadByLabel(handle.changer, handle.changer.driveNumber, media.labelText, (l) =>
      ctx.log(l)
    )
    const labels = await readLabels(handle.driver)
    if (!labels) throw new Error(`media '${media.labelText}' is not labelled`)
    if (labels.label.uuid !== media.uuid) {
      throw new Error(
        `wrong media in drive: expected '${media.labelText}' (${media.uuid}), found '${labels.label.labelText}' (${labels.label.uuid})`
      )
    }
    return labels
  }
  let lastReason = ''
  for (;;) {
    const { labels, reason } = await inspectDrive(handle, media)
    if (labels) return labels
    if (reason !== lastReason) {
      ctx.log(`Please insert media '${media.labelText}' into drive '${handle.name}' (${reason})`)
      options.onRequest?.({ label: media.labelText, drive: handle.name, reason })
      lastReason = reason
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 5000))
    ctx.checkAbort()
  }
}

async function inspectDrive(
  handle: DriveHandle,
  media: WantedMedia
): Promise<{ labels?: MediaId; reason: string }> {
  if (!(await handle.driver.status()).loaded) return { reason: 'the drive is empty' }
  try {
    const labels = await readLabels(handle.driver)
    if (!labels) return { reason: 'the tape in the drive is not labelled' }
    if (labels.label.uuid !== media.uuid)
      return { reason: `found '${labels.label.labelText}' instead` }
    return { labels, reason: '' }
  } catch (err) {
    return { reason: `cannot read the tape in the drive: ${(err as Error).message}` }
  }
}
