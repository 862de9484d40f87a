/**
 * `scan`: rewind and describe every tape file — content type, archive UUID, time, header size,
 * how much data follows and whether the stream was finished — as PBS's debug command does.
 */
import { BlockedReader } from '../format/blocked-reader'
import { readContentHeader, readHeaderData } from '../format/content-header'
import { contentMagicInfo, magicHex } from '../format/magics'
import type { TapeDriver } from '../devices/tape-driver'
import type { TaskContext } from '../jobs/task-runner'

export async function scanTape(driver: TapeDriver, ctx: TaskContext): Promise<number> {
  await driver.rewind()
  for (let file = 0; ; file++) {
    ctx.checkAbort()
    const reader = await BlockedReader.open(driver)
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
      await readHeaderData(reader, header)
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
