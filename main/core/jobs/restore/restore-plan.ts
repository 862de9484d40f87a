/**
 * Restore planning: before a restore starts (and for `restore --plan-only` and the Restore view),
 * which tapes of the media set are needed, in which order, which files on each, how many bytes,
 * whether each tape is online (changer slot or drive) or has to be fetched, and how long it will
 * take. It follows what `runRestore` does: a whole set is read tape by tape from file 2; selected
 * snapshots are read in two passes (the snapshot archives in tape order, then the chunk archives
 * holding the chunks the target does not have yet), so a tape may be loaded twice.
 *
 * Estimates: the catalog records no file sizes, so a tape's `bytes-used` is shared out over its
 * files by chunk count (a snapshot or catalog archive counts as one chunk); without `bytes-used`
 * a chunk counts 4 MiB (PBS's fixed chunk size and the dynamic chunker's average). Reading runs at
 * the virtual library's configured speed when its timing model gives one, else at the LTO
 * generation's native rate (the media type of the barcode, `L9` → LTO-9, 400 MB/s). Each tape
 * visit costs a load (robot move, threading, label read) and a rewind, each file a locate.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ApiArgs, ApiResult } from '../../api/contract'
import { invalidArgument } from '../../api/errors'
import { parseDeviceAddress } from '../../config/device-path'
import { driveChangerName } from '../../config/devices'
import { isIndexFile } from '../../datastore/chunk-index'
import { Datastore } from '../../datastore/datastore'
import { DigestSet } from '../../datastore/digest-set'
import { parseSnapshotName, snapshotDir, snapshotName } from '../../datastore/layout'
import { MANIFEST_BLOB_NAME } from '../../datastore/manifest'
import { listTapeLabels, readDriveStatus } from '../../devices/pbs-virtual'
import { VirtualLibrary } from '../../devices/virtual'
import { openChanger } from '../../operations/devices'
import type { TimingModel } from '../../devices/virtual/timing'
import { CatalogStore } from '../../media/catalog-store'
import type { SetSnapshot, TapeFile } from '../../media/catalog-types'
import { Inventory, type InventoryEntry } from '../../media/inventory'
import type { CoreServices } from '../../tapedeck'
import type { TaskContext } from '../task-runner'
import { parseDatastoreMap, type DatastoreMap } from './datastore-map'
import { parseNamespaceMap, type NamespaceMap } from './namespace-map'
import { snapshotsNamed } from './snapshot-arg'

export type RestorePlan = ApiResult<'tape.restore-plan'>
export type RestorePlanTape = RestorePlan['tapes'][number]
export type RestorePlanArgs = ApiArgs<'tape.restore-plan'>

const MB = 1000 * 1000
const MiB = 1024 * 1024
const GiB = 1024 * MiB
/** Native (uncompressed) streaming rates of the LTO generations, bytes per second. */
export const LTO_NATIVE_RATE: Record<string, number> = {
  L3: 80 * MB,
  L4: 120 * MB,
  L5: 140 * MB,
  L6: 160 * MB,
  L7: 300 * MB,
  M8: 300 * MB,
  L8: 360 * MB,
  L9: 400 * MB,
  LA: 400 * MB
}
/** Robot move, threading and label read of one tape, plus its rewind and unload (hardware default). */
export const DEFAULT_LOAD_SECONDS = 90
/** One LOCATE to a file (an average over the tape length on LTO drives). */
export const DEFAULT_LOCATE_SECONDS = 30
/** Assumed size of a chunk when the tape's bytes used are unknown. */
const DEFAULT_CHUNK_BYTES = 4 * MiB

interface TapePlace {
  changer: string
  slot?: number
  driveNumber?: number
  importExport?: boolean
}

interface LibraryInfo {
  places: Map<string, TapePlace>
  timing: Map<string, TimingModel | null>
  mediaTypes: Map<string, string>
}

/** Where each tape sits in the configured (virtual) libraries, and their timing models. */
async function libraries(core: CoreServices, warnings: string[]): Promise<LibraryInfo> {
  const info: LibraryInfo = { places: new Map(), timing: new Map(), mediaTypes: new Map() }
  for (const changer of await core.config.devices.listChangers()) {
    let address
    try {
      address = parseDeviceAddress(changer.path)
    } catch {
      continue
    }
    try {
      if (address.transport === 'vlib') {
        await virtualLibraryPlaces(info, changer.name, address.directory)
      } else {
        await changerPlaces(info, core, changer.name)
      }
    } catch (err) {
      warnings.push(`changer '${changer.name}': ${(err as Error).message}`)
    }
  }
  for (const drive of await core.config.devices.listDrives()) {
    if (drive.type !== 'virtual') continue
    try {
      await pbsVirtualDrivePlaces(info, drive.name, drive.path)
    } catch (err) {
      warnings.push(`drive '${drive.name}': ${(err as Error).message}`)
    }
  }
  return info
}

async function virtualLibraryPlaces(info: LibraryInfo, name: string, directory: string) {
  const library = await VirtualLibrary.open(directory, { name })
  try {
    const status = await library.status()
    info.timing.set(name, status.timing)
    for (const c of status.cartridges) {
      info.mediaTypes.set(c['volume-tag'], c['media-type'])
      info.places.set(c['volume-tag'], {
        changer: name,
        ...(c.location === 'drive' ? { driveNumber: c['drive-number'] } : { slot: c.slot }),
        ...(c.location === 'import-export' ? { importExport: true } : {})
      })
    }
  } finally {
    await library.close().catch(() => undefined)
  }
}

/** A SCSI library: what its barcode reader sees now. */
async function changerPlaces(info: LibraryInfo, core: CoreServices, name: string) {
  const handle = await openChanger(core, name)
  try {
    const status = await handle.changer.status()
    for (const d of status.drives) {
      const tag = d['volume-tag']
      if (tag) info.places.set(tag, { changer: name, driveNumber: d['drive-number'] })
    }
    for (const slot of status.slots) {
      const tag = slot['volume-tag']
      if (!tag) continue
      info.places.set(tag, {
        changer: name,
        slot: slot.slot,
        ...(slot['import-export'] ? { importExport: true } : {})
      })
    }
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/** A PBS virtual drive is its own changer: its slots are the tapes in its directory. */
async function pbsVirtualDrivePlaces(info: LibraryInfo, name: string, directory: string) {
  const loaded = (await readDriveStatus(directory))?.name
  for (const [i, label] of (await listTapeLabels(directory)).entries()) {
    info.places.set(label, {
      changer: name,
      ...(label === loaded ? { driveNumber: 0 } : { slot: i + 1 })
    })
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** Computes the plan; reads the catalog, the inventory, the libraries and (for exact chunk needs) the datastores. */
export async function planRestore(core: CoreServices, args: RestorePlanArgs): Promise<RestorePlan> {
  let map: DatastoreMap | undefined
  let nsMap: NamespaceMap | undefined
  try {
    map = args.store ? parseDatastoreMap(args.store) : undefined
    nsMap = args.namespaces?.length ? parseNamespaceMap(args.namespaces) : undefined
  } catch (err) {
    throw invalidArgument((err as Error).message)
  }
  const setUuid = args['media-set']
  const warnings: string[] = []
  const members = (await new Inventory(core.db).list())
    .filter((m) => m['media-set-uuid'] === setUuid)
    .sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
  if (members.length === 0) throw invalidArgument(`media set ${setUuid} is not in the inventory`)
  const missing = members.flatMap((m, i) => (m['seq-nr'] === i ? [] : [i]))
  if (missing.length > 0)
    warnings.push(`media set is incomplete: no tape known for seq ${missing.join(', ')}`)

  const catalog = new CatalogStore(core.db)
  const inSet = await catalog.snapshotsInSet(setUuid)
  const selective = (args.snapshots?.length ?? 0) > 0 || nsMap !== undefined

  // Where things are and how fast they go.
  const libs = await libraries(core, warnings)
  let driveChanger: string | undefined
  let driveNumber: number | undefined
  if (args.drive) {
    const { config } = await core.config.devices.drive(args.drive)
    driveChanger = driveChangerName(config)
    driveNumber = config['changer-drivenum'] ?? 0
  }
  const timing =
    (driveChanger !== undefined ? libs.timing.get(driveChanger) : undefined) ??
    [...libs.timing.values()].find((t) => t !== null) ??
    null
  const mediaType =
    libs.mediaTypes.get(members[0]['label-text']) ??
    /(L[3-9A]|M8)$/.exec(members[0]['label-text'])?.[1] ??
    'L9'
  let rate: number
  let rateSource: string
  if (timing && timing.speedBytesPerSecond > 0) {
    rate = timing.speedBytesPerSecond
    rateSource = `drive speed of the library's timing model (${(rate / MB).toFixed(1)} MB/s)`
  } else {
    rate = LTO_NATIVE_RATE[mediaType] ?? LTO_NATIVE_RATE.L9
    rateSource = `LTO ${mediaType} native rate (${(rate / MB).toFixed(0)} MB/s), assumed`
  }
  const loadSeconds = timing ? timing.loadSeconds + timing.rewindSeconds : DEFAULT_LOAD_SECONDS
  const locateSeconds = (bytes: number) =>
    timing ? (bytes / GiB) * timing.locateSecondsPerGiB : DEFAULT_LOCATE_SECONDS

  // The tapes' files, with estimated sizes.
  const files = new Map<string, TapeFile[]>()
  const fileBytes = new Map<string, Map<number, number>>()
  for (const m of members) {
    const list = await catalog.tapeFiles(m.uuid)
    files.set(m.uuid, list)
    const weight = (f: TapeFile) => (f.kind === 'chunk-archive' ? (f.chunkCount ?? 1) : 1)
    const total = list.reduce((n, f) => n + weight(f), 0)
    const perWeight =
      m['bytes-used'] !== undefined && total > 0 ? m['bytes-used'] / total : DEFAULT_CHUNK_BYTES
    fileBytes.set(m.uuid, new Map(list.map((f) => [f.fileNumber, weight(f) * perWeight])))
  }
  const bytesOf = (uuid: string, file: number) => fileBytes.get(uuid)?.get(file) ?? 0
  const member = (uuid: string) => members.find((m) => m.uuid === uuid)!

  // Which snapshots, and where each goes.
  const targetsOf = async (s: SetSnapshot) => {
    const targetStore = map?.target(s.store)
    if (targetStore === undefined) return []
    const path = parseSnapshotName(s.snapshot)
    const namespaces = nsMap ? nsMap.targets(s.store, path.ns) : [path.ns]
    let root: string | undefined
    try {
      root = (await core.config.datastores.get(targetStore)).config.path
    } catch {
      warnings.push(`target datastore '${targetStore}' is not configured`)
    }
    return Promise.all(
      namespaces.map(async (ns) => {
        const target = { ...path, ns }
        const exists =
          root !== undefined &&
          (await stat(join(snapshotDir(root, target), MANIFEST_BLOB_NAME)).then(
            () => true,
            () => false
          ))
        return { store: targetStore, snapshot: snapshotName(target), exists }
      })
    )
  }
  let chosen: SetSnapshot[]
  if (!selective) chosen = inSet
  else if (args.snapshots?.length) {
    chosen = []
    for (const text of args.snapshots) {
      const matches = snapshotsNamed(inSet, text)
      if (matches.length === 1) chosen.push(matches[0])
      else
        warnings.push(
          matches.length === 0
            ? `snapshot ${text} is not in the media set's catalog`
            : `snapshot ${text} is in several datastores of the set: say which (store:snapshot)`
        )
    }
  } else {
    chosen = inSet.filter(
      (s) =>
        (map === undefined || map.target(s.store) !== undefined) &&
        nsMap!.targets(s.store, parseSnapshotName(s.snapshot).ns).length > 0
    )
  }
  const snapshots: RestorePlan['snapshots'] = []
  for (const s of chosen) {
    const targets = await targetsOf(s)
    if (map && nsMap && targets.length === 0)
      warnings.push(`${s.store}:${s.snapshot} has no target namespace: skipped`)
    snapshots.push({
      store: s.store,
      snapshot: s.snapshot,
      'label-text': s.labelText,
      file: s.fileNumber,
      targets
    })
  }
  if (selective && inSet.length === 0)
    warnings.push('the media set has no catalog: only a whole-set restore can read it')

  // The tape visits, in the order the restore makes them.
  type Visit = { uuid: string; phase: RestorePlanTape['phase']; files: number[] }
  const visits: Visit[] = []
  let chunks: RestorePlan['chunks'] = 'all'
  if (!selective) {
    for (const m of members) {
      visits.push({
        uuid: m.uuid,
        phase: 'all',
        files: (files.get(m.uuid) ?? []).map((f) => f.fileNumber)
      })
    }
  } else {
    // Snapshots whose every target already has them are skipped by the restore as well.
    const wanted = chosen
      .filter((_, i) => {
        const t = snapshots[i].targets
        return map === undefined || (t.length > 0 && t.some((x) => !x.exists))
      })
      .sort((a, b) => a.seqNr - b.seqNr || a.fileNumber - b.fileNumber)
    const add = (uuid: string, phase: Visit['phase'], file: number) => {
      const last = visits[visits.length - 1]
      if (last && last.uuid === uuid && last.phase === phase) last.files.push(file)
      else visits.push({ uuid, phase, files: [file] })
    }
    for (const s of wanted) add(s.mediaUuid, 'snapshots', s.fileNumber)
    const chunkFiles = await chunkArchivesNeeded(core, catalog, setUuid, wanted, map, files)
    chunks = wanted.length === 0 ? 'none' : chunkFiles.exact ? 'exact' : 'upper-bound'
    for (const f of chunkFiles.files) add(f.uuid, 'chunks', f.fileNumber)
  }

  // Merge a chunk pass straight after a snapshot pass on the same tape: no reload in between.
  const tapes: RestorePlanTape[] = []
  let previous: string | undefined
  let position = 0
  for (const v of visits) {
    const m = member(v.uuid)
    const place = libs.places.get(m['label-text'])
    const sameTape = previous === v.uuid
    const inTheDrive =
      previous === undefined &&
      place?.changer === driveChanger &&
      place?.driveNumber !== undefined &&
      place.driveNumber === driveNumber
    let seconds = sameTape || inTheDrive ? 0 : loadSeconds
    if (!sameTape) position = 0
    let bytes = 0
    const list = files.get(v.uuid) ?? []
    for (const file of v.files) {
      // Bytes passed over to get there (from the position after the last file read).
      let skipped = 0
      for (const f of list)
        if (f.fileNumber < file && f.fileNumber >= position)
          skipped += bytesOf(v.uuid, f.fileNumber)
      // A whole tape is read straight through from file 2, right after the labels.
      if (v.phase !== 'all') seconds += locateSeconds(skipped)
      bytes += bytesOf(v.uuid, file)
      position = file + 1
    }
    if (v.phase === 'all' && list.length === 0) bytes = m['bytes-used'] ?? 0
    seconds += bytes / rate
    const online =
      place !== undefined && (driveChanger === undefined || place.changer === driveChanger)
    tapes.push({
      'label-text': m['label-text'],
      uuid: m.uuid,
      'seq-nr': m['seq-nr'] ?? 0,
      phase: v.phase,
      online,
      location: describePlace(m, place),
      ...(place ? { changer: place.changer } : {}),
      ...(place?.slot !== undefined ? { slot: place.slot } : {}),
      ...(place?.driveNumber !== undefined ? { 'drive-number': place.driveNumber } : {}),
      files: v.phase === 'all' ? [] : v.files,
      bytes: Math.round(bytes),
      'estimated-seconds': Math.round(seconds)
    })
    previous = v.uuid
  }
  const offline = [...new Set(tapes.filter((t) => !t.online).map((t) => t['label-text']))]
  if (offline.length > 0)
    warnings.push(
      `${plural(offline.length, 'tape')} must be brought to the library: ${offline.join(', ')}`
    )
  return {
    'media-set': setUuid,
    ...(members[0].pool ? { pool: members[0].pool } : {}),
    mode: selective ? 'selective' : 'full',
    ...(args.drive ? { drive: args.drive } : {}),
    ...(driveChanger ? { changer: driveChanger } : {}),
    rate,
    'rate-source': rateSource,
    'load-seconds': loadSeconds,
    'locate-seconds': timing ? Math.round(timing.locateSecondsPerGiB) : DEFAULT_LOCATE_SECONDS,
    tapes,
    snapshots,
    chunks,
    'total-bytes': tapes.reduce((n, t) => n + t.bytes, 0),
    'estimated-seconds': tapes.reduce((n, t) => n + t['estimated-seconds'], 0),
    'offline-tapes': offline,
    warnings
  }
}

function describePlace(m: InventoryEntry, place: TapePlace | undefined): string {
  if (place) {
    if (place.driveNumber !== undefined) return `in drive ${place.driveNumber} of ${place.changer}`
    return `${place.importExport ? 'import/export slot' : 'slot'} ${place.slot} of ${place.changer}`
  }
  const loc = m.location ?? 'offline'
  if (loc.startsWith('vault-')) return `in vault ${loc.slice('vault-'.length)}`
  if (loc.startsWith('online-')) return `last seen in ${loc.slice('online-'.length)}`
  return 'offline'
}

/**
 * The chunk archives a selective restore reads: exactly, from the source snapshots' indexes when
 * the source datastore is configured here and still has them (minus chunks the target has); else
 * every chunk archive of the store written before the snapshot's archive (an upper bound — a
 * backup writes a snapshot's chunks before its snapshot archive).
 */
async function chunkArchivesNeeded(
  core: CoreServices,
  catalog: CatalogStore,
  setUuid: string,
  wanted: SetSnapshot[],
  map: DatastoreMap | undefined,
  files: Map<string, TapeFile[]>
): Promise<{ exact: boolean; files: { uuid: string; seqNr: number; fileNumber: number }[] }> {
  const found = new Map<string, { uuid: string; seqNr: number; fileNumber: number }>()
  const addFile = (uuid: string, seqNr: number, fileNumber: number) =>
    found.set(`${uuid}:${fileNumber}`, { uuid, seqNr, fileNumber })
  let exact = true
  const byStore = new Map<string, SetSnapshot[]>()
  for (const s of wanted) byStore.set(s.store, [...(byStore.get(s.store) ?? []), s])
  const seqOf = new Map<string, number>()
  for (const s of wanted) seqOf.set(s.mediaUuid, s.seqNr)
  for (const [store, list] of byStore) {
    const digests = await sourceDigests(core, store, list)
    if (digests === undefined) {
      exact = false
      const last = list.reduce((a, b) =>
        a.seqNr > b.seqNr || (a.seqNr === b.seqNr && a.fileNumber > b.fileNumber) ? a : b
      )
      await catalog.scanChunkArchives(
        setUuid,
        (archive) => {
          if (
            archive.seqNr < last.seqNr ||
            (archive.seqNr === last.seqNr && archive.fileNumber < last.fileNumber)
          )
            addFile(archive.mediaUuid, archive.seqNr, archive.fileNumber)
        },
        store
      )
      continue
    }
    let missing = [...digests].map((d) => new Uint8Array(d))
    const targetName = map?.target(store)
    if (targetName !== undefined) {
      try {
        const target = await Datastore.open(
          (await core.config.datastores.get(targetName)).config.path
        )
        const present = await Promise.all(
          missing.map((d) =>
            stat(target.chunkPath(d)).then(
              () => true,
              () => false
            )
          )
        )
        missing = missing.filter((_, i) => !present[i])
      } catch {
        // target not readable: plan for all of them
      }
    }
    if (missing.length === 0) continue
    const locations = await catalog.chunkLocations(setUuid, missing, store)
    for (const loc of locations) if (loc) addFile(loc.mediaUuid, loc.seqNr, loc.fileNumber)
  }
  void files
  return {
    exact,
    files: [...found.values()].sort((a, b) => a.seqNr - b.seqNr || a.fileNumber - b.fileNumber)
  }
}

/** The digests the snapshots use, read from the source datastore; undefined if it is not available. */
async function sourceDigests(
  core: CoreServices,
  store: string,
  snapshots: SetSnapshot[]
): Promise<DigestSet | undefined> {
  try {
    const source = await Datastore.open((await core.config.datastores.get(store)).config.path)
    const digests = new DigestSet(1 << 12)
    for (const s of snapshots) {
      const info = await source.snapshotInfo(parseSnapshotName(s.snapshot))
      if (!info.manifest) return undefined
      for (const file of info.manifest.files) {
        if (!isIndexFile(file.filename)) continue
        const index = await source.readIndex(info, file.filename)
        for (let i = 0; i < index.count; i++) digests.add(index.digest(i))
      }
    }
    return digests
  } catch {
    return undefined
  }
}

const hms = (seconds: number) => {
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`
}
const mib = (bytes: number) =>
  bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`

export const formatDuration = hms

/** Tape loads: a tape read again right after itself (snapshot pass, then chunk pass) stays in the drive. */
export const countLoads = (plan: Pick<RestorePlan, 'tapes'>): number =>
  plan.tapes.filter((t, i) => i === 0 || plan.tapes[i - 1].uuid !== t.uuid).length

/** The plan as log lines (the task log and the CLI print these). */
export function describeRestorePlan(plan: RestorePlan): string[] {
  const lines: string[] = []
  const tapeCount = new Set(plan.tapes.map((t) => t.uuid)).size
  lines.push(
    `restore plan (${plan.mode}): ${plural(tapeCount, 'tape')}, ${plural(countLoads(plan), 'load')}, about ${mib(plan['total-bytes'])} to read, estimated ${hms(plan['estimated-seconds'])}`
  )
  plan.tapes.forEach((t, i) => {
    const what =
      t.phase === 'all'
        ? 'every file'
        : `${t.phase === 'snapshots' ? 'snapshot' : 'chunk'} archive${t.files.length === 1 ? '' : 's'} at file ${t.files.join(', ')}`
    lines.push(
      `  ${i + 1}. ${t['label-text']} (seq ${t['seq-nr']}, ${t.online ? 'online' : 'OFFLINE'}, ${t.location}): ${what} — ${mib(t.bytes)}, ~${hms(t['estimated-seconds'])}`
    )
  })
  const writes = plan.snapshots.flatMap((s) => s.targets.map((t) => ({ s, t })))
  const skip = writes.filter((w) => w.t.exists).length
  if (plan.snapshots.length > 0 && plan.mode === 'selective') {
    lines.push(
      `  snapshots: ${plan.snapshots.length} selected, ${writes.length - skip} to write${skip ? `, ${skip} already in the target (skipped)` : ''}; chunk archives: ${plan.chunks}`
    )
  }
  lines.push(`  rate: ${plan['rate-source']}`)
  for (const w of plan.warnings) lines.push(`  note: ${w}`)
  return lines
}

/** Logs the plan at the start of a restore task; a plan that cannot be made is only noted. */
export async function logRestorePlan(
  core: CoreServices,
  args: RestorePlanArgs,
  ctx: Pick<TaskContext, 'log'>
): Promise<void> {
  try {
    for (const line of describeRestorePlan(await planRestore(core, args))) ctx.log(line)
  } catch (err) {
    ctx.log(`no restore plan: ${(err as Error).message}`)
  }
}
