/** Each API method, wired to the service that does the work. */
import {
  CalendarEventError,
  formatCalendarEvent,
  nextCalendarEvent,
  parseCalendarEvent
} from '../media/calendar-event'
import { TimeSpanError, formatTimeSpan, parseTimeSpan } from '../media/time-span'
import { diskUsage, scanDatastore } from '../datastore/scan'
import { forgetScan, lastScan, recordScan } from '../datastore/scan-records'
import { forgetVerifications, lastVerification } from '../datastore/verify-records'
import { formatIso, localTimeZone, parseTimeArg } from '../util/time'
import { invalidArgument, notFound } from './errors'
import type { Handlers } from './router'
import { TAPE_ALERT_ADVICE } from '../devices/tape-alert-advice'
import { backup } from '../jobs/backup/backup'
import { mediaContent } from '../media/media-content'
import { MediaAdmin } from '../media/media-admin'
import { catalogMedia } from '../operations/catalog-media'
import { pbsImport } from '../operations/pbs-import'
import { KeyOperations } from '../operations/key-operations'
import { restore } from '../jobs/restore/restore'
import { planRestore } from '../jobs/restore/restore-plan'
import { poolPreview, withNextMediaLabels } from '../operations/pool-preview'
import { startDemoSetup } from '../operations/demo-setup'
import { checkPoolKey, tapeKeys } from '../operations/tape-encryption'
import { calibrationSheet, labelSheetPdf, labelSheetPreview } from '../labels/label-sheets'
import type { CoreOperations } from '../tapedeck'
import { DiscoveryError } from '../devices/discovery/iscsi-portal'
import { scanDevices } from '../devices/discovery/scan'
import {
  addFault,
  createLibrary,
  faults,
  removeFaults,
  setTiming
} from '../operations/virtual-library'

function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return timeZone
  } catch {
    throw invalidArgument(`unknown time zone '${timeZone}'`)
  }
}

export function calendarPreview(
  event: string,
  from?: string | number,
  count = 5,
  timeZone?: string
) {
  const zone = checkTimeZone(timeZone ?? localTimeZone())
  let parsed
  try {
    parsed = parseCalendarEvent(event)
  } catch (err) {
    if (err instanceof CalendarEventError) throw invalidArgument(err.message)
    throw err
  }
  let t: number
  try {
    t = from === undefined ? Math.floor(Date.now() / 1000) : parseTimeArg(from, zone)
  } catch (err) {
    throw invalidArgument((err as Error).message)
  }
  const next: string[] = []
  for (let i = 0; i < count; i++) {
    const n = nextCalendarEvent(parsed, t, zone)
    if (n === null) break
    next.push(formatIso(n, zone))
    t = n
  }
  return { normalized: formatCalendarEvent(parsed), next }
}

export function timespanPreview(span: string) {
  try {
    const parsed = parseTimeSpan(span)
    return { seconds: parsed.seconds, normalized: formatTimeSpan(parsed) }
  } catch (err) {
    if (err instanceof TimeSpanError) throw invalidArgument(err.message)
    throw err
  }
}

/** A scan that could not look (bad portal, unreachable, no targets) names why. */
async function scanForDevices(iscsiPortal: string | undefined) {
  try {
    return await scanDevices({ iscsiPortal })
  } catch (err) {
    if (err instanceof DiscoveryError) {
      throw err.reason === 'bad-address' ? invalidArgument(err.message) : notFound(err.message)
    }
    throw err
  }
}

export function createHandlers(core: CoreOperations): Handlers {
  const { devices, pools, datastores } = core.config
  const drives = core.drives
  const keys = new KeyOperations(core)
  return {
    'system.info': async () => ({
      version: core.version,
      home: core.home,
      node: core.tasks.node,
      timezone: localTimeZone()
    }),

    'drive.list': () => devices.listDrives(),
    'drive.config': ({ name }) => devices.drive(name),
    'drive.create': (args) => devices.createDrive(args),
    'drive.update': (args) => devices.updateDrive(args),
    'drive.remove': ({ name, digest }) => devices.removeDrive(name, digest),

    'changer.list': () => devices.listChangers(),
    'changer.config': ({ name }) => devices.changer(name),
    'changer.create': (args) => devices.createChanger(args),
    'changer.update': (args) => devices.updateChanger(args),
    'changer.remove': ({ name, digest }) => devices.removeChanger(name, digest),
    'devices.scan': (args) => scanForDevices(args['iscsi-portal']),

    'vlib.create': (args) => createLibrary(core, args),
    'vlib.fault-add': (args) => addFault(core, args),
    'vlib.faults': ({ changer }) => faults(core, changer),
    'vlib.fault-clear': ({ changer, id }) => removeFaults(core, changer, id),
    'vlib.timing': (args) => setTiming(core, args),
    'changer.status': ({ name }) => drives.changerStatus(name),
    'changer.transfer': ({ name, from, to }) => drives.transfer(name, from, to),
    'drive.label': (a) => drives.label(a.drive, a['label-text'], a.pool),
    'drive.barcode-label': (a) => drives.barcodeLabel(a.drive, a.pool),
    'drive.read-label': (a) => drives.readLabel(a.drive, a.inventorize),
    'drive.load-media': (a) => drives.loadMedia(a.drive, a['label-text']),
    'drive.load-slot': (a) => drives.loadSlot(a.drive, a.slot),
    'drive.unload': (a) => drives.unload(a.drive, a['target-slot']),
    'drive.export-media': (a) => drives.exportMedia(a.drive, a['label-text']),
    'drive.eject': (a) => drives.eject(a.drive),
    'drive.rewind': (a) => drives.rewind(a.drive),
    'drive.format': (a) => drives.format(a.drive, a.fast, a['label-text']),
    'drive.status': (a) => drives.driveStatus(a.drive),
    'drive.mt': async (a) => (await drives.mt(a.drive, a.op, a.count)) ?? null,
    'drive.clean': (a) => drives.clean(a.drive),
    'drive.inventory': (a) => drives.updateInventory(a.drive, a['read-all-labels'], a.catalog),
    'drive.catalog': (a) =>
      catalogMedia(core, a.drive, { force: a.force, scan: a.scan, labelText: a['label-text'] }),
    'drive.scan': (a) => drives.scan(a.drive),
    'drive.eod': (a) => drives.moveToEndOfData(a.drive),
    'drive.volume-statistics': (a) => drives.volumeStatistics(a.drive),
    'drive.cartridge-memory': (a) => drives.cartridgeMemory(a.drive),
    'drive.tape-alert-flags': async () => [...TAPE_ALERT_ADVICE],
    'tape.backup': (a) => backup(core, a),
    'tape.restore': (a) => restore(core, a),
    'tape.restore-plan': (a) => planRestore(core, a),
    'media.list': () => drives.inventory.list(),
    'media.page': (query) => new MediaAdmin(core.db).page(query),
    'media.destroy': (a) => new MediaAdmin(core.db).destroy(a['label-text'], a.force),
    'media.set-status': (a) => new MediaAdmin(core.db).setStatus(a['label-text'], a.status),
    'media.move': (a) => new MediaAdmin(core.db).move(a['label-text'], a['vault-name']),
    'media.content': (filter) => mediaContent(core, filter),

    'key.list': () => keys.list(),
    'key.show': ({ fingerprint }) => keys.show(fingerprint),
    'key.create': (args) => keys.create(args),
    'key.change-passphrase': (args) => keys.changePassphrase(args),
    'key.remove': ({ fingerprint }) => keys.remove(fingerprint),
    'key.set-storage': (args) => keys.setStorage(args),
    'key.sealing': async () => keys.sealing(),
    'key.paperkey': (args) => keys.paperkey(args),
    'key.restore': (args) => keys.restore(args),

    'pool.list': () => pools.list(),
    'pool.config': ({ name }) => pools.get(name),
    'pool.create': async (args) => {
      await checkPoolKey(tapeKeys(core), args.encrypt)
      await pools.create(args)
    },
    'pool.update': async (args) => {
      await checkPoolKey(tapeKeys(core), args.encrypt)
      await pools.update(args)
    },
    'pool.remove': ({ name, digest }) => pools.remove(name, digest),
    'pool.preview': (args) => poolPreview(core, args),

    'backup-job.list': async () => withNextMediaLabels(core, await core.config.backupJobs.list()),
    'backup-job.config': ({ id }) => core.config.backupJobs.get(id),
    'backup-job.create': (args) => core.config.backupJobs.create(args),
    'backup-job.update': (args) => core.config.backupJobs.update(args),
    'backup-job.remove': ({ id, digest }) => core.config.backupJobs.remove(id, digest),
    'backup-job.run': async ({ id }) => ({
      upid: await core.runBackupJob(id, { schedule: false })
    }),

    'datastore.list': () => datastores.list(),
    'datastore.config': ({ name }) => datastores.get(name),
    'datastore.add': (args) => datastores.add(args),
    'datastore.remove': async ({ name, digest }) => {
      await datastores.remove(name, digest)
      await forgetScan(core.db, name)
      await forgetVerifications(core.db, name)
    },
    'datastore.status': async ({ name }) => {
      const { config } = await datastores.get(name)
      const usage = await diskUsage(config.path)
      return {
        name,
        path: config.path,
        ...usage,
        'last-scan': await lastScan(core.db, name),
        'last-verify': await lastVerification(core.db, name)
      }
    },
    'datastore.scan': async ({ name }) => {
      const { config } = await datastores.get(name)
      const upid = await core.tasks.start({ type: 'datastore-scan', id: name }, async (ctx) => {
        await recordScan(core.db, name, await scanDatastore(config.path, ctx))
      })
      return { upid }
    },
    'datastore.create': (args) => core.datastores.create(args),
    'datastore.namespaces': ({ name }) => core.datastores.namespaces(name),
    'datastore.groups': ({ name, ns }) => core.datastores.groups(name, ns),
    'datastore.snapshots': (args) => core.datastores.snapshots(args),
    'datastore.verify': (args) => core.datastores.verify(args),
    'datastore.verify-result': ({ upid }) => core.datastores.verifyResult(upid),
    'datastore.demo': (args) => core.datastores.demo(args),
    'demo.run': (args) => startDemoSetup(core, args),

    'calendar.preview': async ({ event, from, count, timezone }) =>
      calendarPreview(event, from, count, timezone),
    'timespan.preview': async ({ span }) => timespanPreview(span),

    'labels.preview': (request) => labelSheetPreview(core, request),
    'labels.pdf': (request) => labelSheetPdf(core, request),
    'labels.calibration-page': async ({ paper }) => calibrationSheet(paper),

    'pbs.import': (args) => pbsImport(core, args),

    'task.list': (args) => core.tasks.list(args),
    'task.status': ({ upid }) => core.tasks.status(upid),
    'task.log': ({ upid, start, limit }) => core.tasks.log(upid, start, limit),
    'task.stop': ({ upid }) => core.tasks.stop(upid),

    'notify.config': () => core.notifier.settings.view(),
    'notify.update': (args) => core.notifier.settings.update(args),
    'notify.test': () => core.notifier.test()
  }
}
