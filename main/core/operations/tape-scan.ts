/**
 * `scan`: rewind and describe every tape file — content type, archive UUID, time, header size,
 * how much data follows and whether the stream was finished — as PBS's debug command does. The
 * media-set label (file 1, plain) says whether the data files are encrypted; with `keys` the
 * drive is then programmed with the set's key, without it they show as undecryptable.
 */
import { BlockedReader } from '../format/blocked-reader'
import { readContentHeader, readHeaderData } from '../format/content-header'
import { contentMagicInfo, magicHex } from '../format/magics'
import { isDecryptionError, type TapeDriver } from '../devices/tape-driver'
import type { TaskContext } from '../jobs/task-runner'
import { parseMediaSetLabel } from '../format/media-set-label'
import { programDriveForSet, type TapeKeys } from './tape-encryption'

export async function scanTape(
  driver: TapeDriver,
  ctx: TaskContext,
  keys?: TapeKeys
): Promise<number> {
  await driver.setEncryption(undefined)
  await driver.rewind()
  for (let file = 0; ; file++) {
    ctx.checkAbort()
    let reader: Awaited<ReturnType<typeof BlockedReader.open>>
    try {
      reader = await BlockedReader.open(driver)
    } catch (err) {
      if (!isDecryptionError(err)) throw err
      // An encrypted file without its key: say so and go on with the next one.
      ctx.warn(`file ${file}: ${(err as Error).message}`)
      await driver.locateFile(file + 1)
      continue
    }
    if (reader === 'end-of-data') {
      ctx.log(`end of data after ${file} files`)
      return file
    }
    if (reader === 'filemark') {
      ctx.log(`file ${file}: empty (bare filemark)`)
      continue
    }
    let described = `file ${file}`
    try {
      const header = await readContentHeader(reader)
      const kind =
        contentMagicInfo(header.contentMagic)?.name ??
        `unknown content ${magicHex(header.contentMagic)}`
      described = `file ${file}: ${kind}, uuid ${header.uuid}, ctime ${new Date(header.ctime * 1000).toISOString()}`
      const data = await readHeaderData(reader, header)
      if (keys && contentMagicInfo(header.contentMagic)?.kind === 'media-set-label') {
        await useSetKey(driver, keys, data, ctx)
      }
      const rest = await reader.skipData()
      const ending = !reader.hasEndMarker()
        ? ' — WARNING: stream has no end marker (aborted write)'
        : reader.isIncomplete()
          ? ' — incomplete (continued on the next tape)'
          : ''
      ctx.log(
        `${described}, header data ${header.size} bytes, part ${header.partNumber}, ${rest} bytes of archive data${ending}`
      )
    } catch (err) {
      ctx.warn(`${described}: ${(err as Error).message}`)
      // Step over whatever is left of this file so the scan can go on with the next one.
      await driver.locateFile(file + 1).catch(() => undefined)
    }
  }
}

/** Programs the drive for the set named by a media-set label; a missing key is only a warning. */
async function useSetKey(
  driver: TapeDriver,
  keys: TapeKeys,
  labelData: Uint8Array,
  ctx: TaskContext
): Promise<void> {
  const { label } = parseMediaSetLabel(labelData)
  try {
    await programDriveForSet(driver, keys, label, `media set ${label.uuid}`)
    if (label.encryptionKeyFingerprint)
      ctx.log(`media set ${label.uuid} is encrypted with key ${label.encryptionKeyFingerprint}`)
  } catch (err) {
    ctx.warn(`${(err as Error).message}; its data files cannot be read`)
  }
}
