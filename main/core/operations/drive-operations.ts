/**
 * Drive and changer operations with PBS's names and semantics (pbs-tape.md §1.2, §3.6, §8.7).
 * Everything that moves or writes a tape runs as a task holding the drive lock.
 */
import { ApiError, invalidArgument } from '../api/errors'
import type {
  ApiArgs,
  CartridgeMemoryEntry,
  ChangerStatusEntry,
  DriveStatusInfo,
  MediaLabelInfo,
  VolumeStatisticsInfo
} from '../api/contract'
import { DriveError } from '../devices/tape-driver'
import { isCleaningTape, type ChangerStatus } from '../devices/media-changer'
import { NIL_UUID } from '../format/uuid-bytes'
import { Inventory, type MediaId } from '../media/inventory'
import type { TaskContext } from '../jobs/task-runner'
import type { CoreServices } from '../tapedeck'
import {
  changerStatus,
  exportByLabel,
  loadByLabel,
  loadFromSlot,
  onlineLabels,
  unloadDrive
} from './changer-logic'
import { openChanger, type DriveHandle } from './devices'
import { runDriveTask, withDrive } from './drive-task'
import { readLabels, writeNewLabel } from './tape-labels'
import { scanTape } from './tape-scan'
import { catalogMissing, restoreMissingCatalog } from './catalog-media'
import { tapeKeys } from './tape-encryption'
import { CRITICAL_TAPE_ALERT_FLAGS } from '../devices/tape-alert'

type Log = (line: string) => void

type MtOperation = ApiArgs<'drive.mt'>['op']

function requireChanger(handle: DriveHandle) {
  if (!handle.changer) throw invalidArgument(`drive '${handle.name}' has no changer`)
  return handle.changer
}

export function flattenMediaId(id: MediaId): MediaLabelInfo {
  const set = id.mediaSet
  return {
    'label-text': id.label.labelText,
    uuid: id.label.uuid,
    ctime: id.label.ctime,
    pool: set?.pool ?? id.label.pool,
    'media-set-uuid': set?.uuid ?? NIL_UUID,
    'media-set-ctime': set?.ctime,
    'seq-nr': set?.seqNr,
    'encryption-key-fingerprint': set?.encryptionKeyFingerprint
  }
}

export function changerEntries(status: ChangerStatus): ChangerStatusEntry[] {
  return [
    ...status.drives.map((d) => ({
      'entry-kind': 'drive' as const,
      'entry-id': d['drive-number'],
      'label-text': d['volume-tag'],
      'loaded-slot': d['loaded-slot']
    })),
    ...status.slots.map((s) => ({
      'entry-kind': s['import-export'] ? ('import-export' as const) : ('slot' as const),
      'entry-id': s.slot,
      'label-text': s['volume-tag']
    }))
  ]
}

export class DriveOperations {
  readonly inventory: Inventory

  constructor(private readonly core: CoreServices) {
    this.inventory = new Inventory(core.db)
  }

  private driveTask(
    type: string,
    drive: string,
    work: (ctx: TaskContext, handle: DriveHandle) => Promise<void>
  ): Promise<{ upid: string }> {
    return runDriveTask(this.core, type, drive, work)
  }

  private withDrive<T>(
    drive: string,
    purpose: string,
    work: (handle: DriveHandle) => Promise<T>
  ): Promise<T> {
    return withDrive(this.core, drive, purpose, work)
  }

  private location(handle: DriveHandle): string {
    return handle.changer ? `online-${handle.changer.name}` : 'offline'
  }

  private async checkPool(pool: string | undefined): Promise<void> {
    if (pool !== undefined) await this.core.config.pools.get(pool)
  }

  private async labelLoadedTape(
    handle: DriveHandle,
    labelText: string,
    pool: string | undefined,
    log: Log
  ) {
    const status = await handle.driver.status()
    if (!status.loaded) throw new Error(`drive ${handle.name} is empty (no tape loaded)`)
    if (isCleaningTape(status['volume-tag'])) {
      throw new Error(`${status['volume-tag']} is a cleaning cartridge; it cannot be labelled`)
    }
    const label = await writeNewLabel(handle.driver, labelText, pool, log)
    await this.inventory.store({ label }, this.location(handle))
  }

  async label(drive: string, labelText: string, pool?: string) {
    await this.checkPool(pool)
    if (await this.inventory.findByLabelText(labelText)) {
      throw new ApiError(
        'already-exists',
        `media with label '${labelText}' already exists in the inventory`
      )
    }
    return this.driveTask('label-media', drive, (ctx, handle) =>
      this.labelLoadedTape(handle, labelText, pool, ctx.log)
    )
  }

  /** Label every unlabelled tape in the changer with its barcode (sorted), as PBS does. */
  async barcodeLabel(drive: string, pool?: string) {
    await this.checkPool(pool)
    return this.driveTask('barcode-label-media', drive, async (ctx, handle) => {
      const changer = requireChanger(handle)
      const labels = onlineLabels(await changerStatus(changer))
      const todo: string[] = []
      for (const text of labels) {
        if (await this.inventory.findByLabelText(text))
          ctx.log(`media '${text}' already inventorized, skipping`)
        else todo.push(text)
      }
      if (todo.length === 0) ctx.log('all media in the changer are labelled already')
      for (const [i, text] of todo.entries()) {
        ctx.checkAbort()
        ctx.progress({ done: i, total: todo.length, unit: 'items', message: `labelling ${text}` })
        await loadByLabel(changer, changer.driveNumber, text, ctx.log)
        try {
          await this.labelLoadedTape(handle, text, pool, ctx.log)
        } catch (err) {
          ctx.warn(`media '${text}': ${(err as Error).message}`)
        }
      }
      ctx.progress({ done: todo.length, total: todo.length, unit: 'items' })
    })
  }

  async readLabel(drive: string, inventorize = false): Promise<MediaLabelInfo> {
    return this.withDrive(drive, 'read-label', async (handle) => {
      const id = await readLabels(handle.driver)
      if (!id) throw new ApiError('not-found', 'media is empty (no media label found)')
      if (inventorize) await this.inventory.store(id, this.location(handle))
      return flattenMediaId(id)
    })
  }

  async loadMedia(drive: string, labelText: string) {
    return this.driveTask('load-media', drive, (ctx, handle) => {
      const changer = requireChanger(handle)
      return loadByLabel(changer, changer.driveNumber, labelText, ctx.log)
    })
  }

  async loadSlot(drive: string, slot: number) {
    return this.driveTask('load-media', drive, async (ctx, handle) => {
      const changer = requireChanger(handle)
      await loadFromSlot(changer, changer.driveNumber, slot, ctx.log)
    })
  }

  async unload(drive: string, targetSlot?: number) {
    return this.driveTask('unload-media', drive, (ctx, handle) => {
      const changer = requireChanger(handle)
      // PBS ignores the target slot of a virtual drive and empties it, loaded or not.
      if (changer.driveIsChanger) return handle.driver.eject()
      return unloadDrive(changer, changer.driveNumber, targetSlot, ctx.log)
    })
  }

  async exportMedia(drive: string, labelText: string) {
    return this.driveTask('export-media', drive, async (ctx, handle) => {
      const changer = requireChanger(handle)
      if (changer.driveIsChanger) {
        throw invalidArgument(
          `drive '${drive}' is a PBS virtual drive: it has no import/export slot to export ${labelText} to`
        )
      }
      await exportByLabel(changer, labelText, ctx.log)
      const entry = await this.inventory.findByLabelText(labelText)
      if (entry) await this.inventory.setLocation(entry.uuid, 'offline')
    })
  }

  /**
   * Eject: with a changer, put the tape back into its slot; a standalone drive ejects it, and so
   * does a PBS virtual drive (which, as in PBS, succeeds when it is empty already).
   */
  async eject(drive: string) {
    return this.driveTask('eject-media', drive, async (ctx, handle) => {
      if (handle.changer && !handle.changer.driveIsChanger) {
        await unloadDrive(handle.changer, handle.changer.driveNumber, undefined, ctx.log)
      } else {
        ctx.log('ejecting media')
        await handle.driver.eject()
      }
    })
  }

  async rewind(drive: string) {
    return this.driveTask('rewind-media', drive, async (ctx, handle) => {
      ctx.log('rewinding')
      await handle.driver.rewind()
    })
  }

  /** Erase the tape (fast: only mark it empty) and drop it from the inventory. */
  async format(drive: string, fast = true, labelText?: string) {
    return this.driveTask('format-media', drive, async (ctx, handle) => {
      let id: MediaId | undefined
      try {
        id = await readLabels(handle.driver)
      } catch (err) {
        ctx.log(`could not read the label (${(err as Error).message}); formatting anyway`)
      }
      if (labelText !== undefined && id?.label.labelText !== labelText) {
        throw new Error(
          `refusing to format: the tape is labelled '${id?.label.labelText ?? '(no label)'}', not '${labelText}'`
        )
      }
      ctx.log(
        `formatting media${id ? ` ${id.label.labelText}` : ''} (${fast ? 'fast' : 'full'} erase)`
      )
      await handle.driver.format(fast)
      if (id) {
        await this.inventory.remove(id.label.uuid)
        ctx.log(`removed ${id.label.labelText} from the inventory`)
      }
    })
  }

  /**
   * Clean the drive as PBS does: unload it, load the first cleaning cartridge from a storage slot,
   * let the drive clean, put the cartridge back where it was and check the TapeAlert flags.
   */
  async clean(drive: string) {
    return this.driveTask('clean-drive', drive, async (ctx, handle) => {
      const changer = requireChanger(handle)
      if (changer.driveIsChanger) {
        ctx.log(`drive ${drive} is a PBS virtual drive: there is nothing to clean`)
        return
      }
      const n = changer.driveNumber
      let status = await changerStatus(changer)
      if (status.drives[n]?.full) {
        await unloadDrive(changer, n, undefined, ctx.log)
        status = await changerStatus(changer)
      }
      const cleaning = status.slots.find(
        (s) => !s['import-export'] && isCleaningTape(s['volume-tag'])
      )
      if (!cleaning)
        throw new Error(`no cleaning cartridge (CLN…) in a storage slot of changer ${changer.name}`)
      ctx.log(
        `loading cleaning cartridge ${cleaning['volume-tag']} from slot ${cleaning.slot} into drive ${n}`
      )
      await changer.changer.load(cleaning.slot, n)
      ctx.log('drive is cleaning')
      ctx.log(`moving cleaning cartridge back to slot ${cleaning.slot}`)
      await changer.changer.unload(n, cleaning.slot)
      ctx.log('checking TapeAlert flags')
      const flags = (await handle.driver.status())['alert-flags']
      const critical = flags.filter((f) => CRITICAL_TAPE_ALERT_FLAGS.has(f))
      if (critical.length > 0) throw new Error(`cleaning failed: TapeAlert ${critical.join(', ')}`)
      if (flags.includes('CLEAN_NOW') || flags.includes('CLEAN_PERIODIC')) {
        throw new Error(`the drive still asks for cleaning (TapeAlert ${flags.join(', ')})`)
      }
      ctx.log('drive cleaned successfully')
    })
  }

  /**
   * Inventory the changer: record which tapes are online, then load every tape the inventory does
   * not know (all with `readAll`), read its labels and store them.
   */
  async updateInventory(drive: string, readAll = false, catalog = false) {
    return this.driveTask('inventory-update', drive, async (ctx, handle) => {
      const changer = requireChanger(handle)
      const labels = onlineLabels(await changerStatus(changer))
      await this.inventory.updateOnline(changer.name, labels)
      const todo: string[] = []
      for (const text of labels) {
        const known = readAll ? undefined : await this.inventory.findByLabelText(text)
        // With `catalog`, a known tape of a media set without a catalog is read too (PBS).
        if (known && !(catalog && (await catalogMissing(this.core, known))))
          ctx.log(`media '${text}' exists in the inventory`)
        else todo.push(text)
      }
      for (const [i, text] of todo.entries()) {
        ctx.checkAbort()
        ctx.progress({ done: i, total: todo.length, unit: 'items', message: `reading ${text}` })
        await loadByLabel(changer, changer.driveNumber, text, ctx.log)
        try {
          const id = await readLabels(handle.driver)
          if (!id) ctx.log(`media '${text}' is empty (not labelled)`)
          else if (id.label.labelText !== text) {
            ctx.warn(`media '${text}' carries the label '${id.label.labelText}'; not inventorized`)
          } else {
            await this.inventory.store(id, `online-${changer.name}`)
            ctx.log(`inventorized media '${text}' (uuid ${id.label.uuid})`)
            if (catalog) await restoreMissingCatalog(this.core, handle.driver, id, ctx)
          }
        } catch (err) {
          ctx.warn(`media '${text}': ${(err as Error).message}`)
        }
      }
      ctx.progress({ done: todo.length, total: todo.length, unit: 'items' })
      if ((await changerStatus(changer)).drives[changer.driveNumber]?.full) {
        await unloadDrive(changer, changer.driveNumber, undefined, ctx.log)
      }
    })
  }

  async scan(drive: string) {
    return this.driveTask(
      'scan-media',
      drive,
      async (ctx, handle) => void (await scanTape(handle.driver, ctx, tapeKeys(this.core)))
    )
  }

  /** Move to the end of the recorded data (debugging aid, as PBS's `eod`). */
  async moveToEndOfData(drive: string) {
    return this.withDrive(drive, 'eod', async (handle) => {
      await handle.driver.moveToEndOfData()
      return handle.driver.position()
    })
  }

  /** The mt(1)-style primitives of `tapedeck mt` (PBS pmt). Returns the position afterwards. */
  async mt(drive: string, op: MtOperation, count = 1) {
    return this.withDrive(drive, `mt ${op}`, async ({ driver }) => {
      switch (op) {
        case 'fsf':
          await driver.spaceFilemarks(count)
          break
        case 'bsf':
          await driver.spaceFilemarks(-count)
          break
        case 'fsfm': // forward over the marks, then back before the last one
          await driver.spaceFilemarks(count)
          await driver.spaceFilemarks(-1)
          break
        case 'bsfm': // back over the marks, then forward behind the last one
          await driver.spaceFilemarks(-count)
          await driver.spaceFilemarks(1)
          break
        case 'fsr':
          await driver.spaceBlocks(count)
          break
        case 'bsr':
          await driver.spaceBlocks(-count)
          break
        case 'asf':
          await driver.locateFile(count)
          break
        case 'eod':
          await driver.moveToEndOfData()
          break
        case 'weof':
          await driver.writeFilemarks(count)
          break
        case 'rewind':
          await driver.rewind()
          break
        case 'eject':
          await driver.eject()
          return undefined
        case 'load':
          await driver.load()
          break
        case 'erase':
          await driver.format(count !== 0)
          break
      }
      return driver.position()
    })
  }

  async driveStatus(drive: string): Promise<DriveStatusInfo> {
    return this.withDrive(drive, 'status', async (handle) => {
      const s = await handle.driver.status()
      return {
        name: drive,
        loaded: s.loaded,
        'volume-tag': s['volume-tag'],
        'file-number': s.position?.file,
        'block-number': s.position?.block,
        'write-protect': s['write-protect'],
        'alert-flags': s['alert-flags'],
        'bytes-used': s['bytes-used'],
        capacity: s.capacity,
        'medium-passes': s['medium-passes'],
        'volume-mounts': s['volume-mounts'],
        density: s.density
      }
    })
  }

  /** PBS `volume-statistics`: LOG SENSE page 17h of a drive, the recorded use of a virtual tape. */
  async volumeStatistics(drive: string): Promise<VolumeStatisticsInfo> {
    const why = await this.noHealthData(drive)
    return this.withDrive(drive, 'volume-statistics', ({ driver }) =>
      unlessUnsupported(drive, 'volume statistics are', driver.volumeStatistics?.bind(driver), why)
    )
  }

  /** PBS `cartridge-memory`: the MAM attributes of the loaded cartridge. */
  async cartridgeMemory(drive: string): Promise<CartridgeMemoryEntry[]> {
    const why = await this.noHealthData(drive)
    return this.withDrive(drive, 'cartridge-memory', ({ driver }) =>
      unlessUnsupported(drive, 'cartridge memory is', driver.cartridgeMemory?.bind(driver), why)
    )
  }

  /** Why a drive's driver may lack volume statistics and cartridge memory altogether. */
  private async noHealthData(drive: string): Promise<string> {
    const { config } = await this.core.config.devices.drive(drive)
    return config.type === 'virtual'
      ? ': a PBS virtual drive keeps neither log pages nor cartridge memory (as in PBS)'
      : ''
  }

  /** Changer status; tapes seen in drives and storage slots are recorded as online there. */
  async changerStatus(name: string): Promise<ChangerStatusEntry[]> {
    const handle = await openChanger(this.core, name)
    try {
      const status = await changerStatus(handle)
      await this.inventory.updateOnline(name, onlineLabels(status))
      return changerEntries(status)
    } finally {
      await handle.close()
    }
  }

  async transfer(name: string, from: number, to: number): Promise<void> {
    const handle = await openChanger(this.core, name)
    try {
      await handle.changer.transfer(from, to)
    } finally {
      await handle.close()
    }
  }
}

/**
 * Runs an optional drive query. A driver without it and a device that refuses the command both
 * answer with the API code 'not-supported', so clients can show it as a fact about the drive, not
 * as a failure.
 */
async function unlessUnsupported<T>(
  drive: string,
  what: string,
  query: (() => Promise<T>) | undefined,
  why: string
): Promise<T> {
  if (!query) throw new ApiError('not-supported', `${what} not supported by drive '${drive}'${why}`)
  try {
    return await query()
  } catch (err) {
    if (err instanceof DriveError && (err as { code?: unknown }).code === 'not-supported') {
      throw new ApiError('not-supported', err.message)
    }
    throw err
  }
}
