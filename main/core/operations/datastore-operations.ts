/**
 * Datastore operations behind the API: create, browse (namespaces, groups, snapshots), verify and
 * the demo generator. Configuration stays in config/datastores; the format in datastore/.
 */
import { isAbsolute, normalize } from 'node:path'
import type { ApiArgs, ApiResult, DatastoreSnapshot, VerifyResult } from '../api/contract'
import { ApiError, invalidArgument, notFound } from '../api/errors'
import { createChunkChecker } from '../datastore/chunk-check-pool'
import { Datastore, type SnapshotInfo } from '../datastore/datastore'
import { createDatastore } from '../datastore/datastore-writer'
import { DEMO_DEFAULTS, writeDemoDatastore } from '../datastore/demo'
import {
  formatNamespace,
  parseNamespace,
  parseSnapshotName,
  snapshotName
} from '../datastore/layout'
import { MAX_REPORTED_BAD_CHUNKS, verifyDatastore } from '../datastore/verify'
import { recordVerification, verification } from '../datastore/verify-records'
import { FormatError } from '../format/format-error'
import type { CoreServices } from '../tapedeck'

const firstLine = (text: unknown): string | undefined =>
  typeof text === 'string' && text.trim() !== '' ? text.trim().split('\n')[0] : undefined

function asApiError(err: unknown): never {
  if (err instanceof FormatError) throw invalidArgument(err.message)
  throw err
}

function namespaceArg(ns: string | undefined): string[] {
  try {
    return parseNamespace(ns ?? '')
  } catch (err) {
    return asApiError(err)
  }
}

function absoluteDir(path: string): string {
  if (!isAbsolute(path)) throw invalidArgument(`path '${path}' must be absolute`)
  return normalize(path).replace(/\/+$/, '') || '/'
}

export function snapshotEntry(info: SnapshotInfo): DatastoreSnapshot {
  const files = (info.manifest?.files ?? []).map((f) => ({
    filename: f.filename,
    size: f.size,
    'crypt-mode': f['crypt-mode']
  }))
  return {
    ns: formatNamespace(info.ns),
    'backup-type': info.type,
    'backup-id': info.id,
    'backup-time': info.epoch,
    snapshot: snapshotName(info),
    finished: info.finished,
    files,
    size: info.size,
    protected: info.protected,
    encrypted: files.some((f) => f['crypt-mode'] === 'encrypt'),
    owner: info.owner,
    comment: firstLine(info.manifest?.unprotected.notes),
    error: info.error
  }
}

export class DatastoreOperations {
  constructor(private readonly core: CoreServices) {}

  /** The registered datastore, opened. */
  async open(name: string): Promise<Datastore> {
    const { config } = await this.core.config.datastores.get(name)
    try {
      return await Datastore.open(config.path)
    } catch (err) {
      return asApiError(err)
    }
  }

  async create(args: ApiArgs<'datastore.create'>): Promise<void> {
    const path = absoluteDir(args.path)
    await this.assertNameFree(args.name)
    try {
      await createDatastore(path)
    } catch (err) {
      asApiError(err)
    }
    await this.core.config.datastores.add({ name: args.name, path, comment: args.comment })
  }

  async namespaces(name: string): Promise<string[]> {
    const store = await this.open(name)
    return (await store.namespaces()).map(formatNamespace)
  }

  async groups(name: string, ns?: string): Promise<ApiResult<'datastore.groups'>> {
    const store = await this.open(name)
    const namespace = namespaceArg(ns)
    const out: ApiResult<'datastore.groups'> = []
    for (const group of await store.groups(namespace)) {
      const finished = (await store.snapshots(group)).filter((s) => s.finished)
      out.push({
        ns: formatNamespace(namespace),
        'backup-type': group.type,
        'backup-id': group.id,
        owner: group.owner,
        comment: firstLine(group.notes),
        'backup-count': finished.length,
        'last-backup': finished.at(-1)?.epoch
      })
    }
    return out
  }

  async snapshots(args: ApiArgs<'datastore.snapshots'>): Promise<DatastoreSnapshot[]> {
    const store = await this.open(args.name)
    const out: DatastoreSnapshot[] = []
    for await (const info of store.allSnapshots(namespaceArg(args.ns), args['max-depth'])) {
      if (args['backup-type'] !== undefined && info.type !== args['backup-type']) continue
      if (args['backup-id'] !== undefined && info.id !== args['backup-id']) continue
      out.push(snapshotEntry(info))
    }
    return out
  }

  async verify(args: ApiArgs<'datastore.verify'>): Promise<{ upid: string }> {
    const store = await this.open(args.name)
    const ns = namespaceArg(args.ns)
    let snapshot
    try {
      snapshot = args.snapshot === undefined ? undefined : parseSnapshotName(args.snapshot, ns)
      if (snapshot) await store.snapshotInfo(snapshot)
    } catch (err) {
      if (err instanceof FormatError) throw notFound(err.message)
      throw err
    }
    const upid = await this.core.tasks.start({ type: 'verify', id: args.name }, async (ctx) => {
      const checker = createChunkChecker()
      let report
      try {
        report = await verifyDatastore(store, { ns, snapshot }, checker, ctx)
      } finally {
        await checker.close()
      }
      const result: VerifyResult = {
        upid: ctx.upid,
        store: args.name,
        time: Math.floor(Date.now() / 1000),
        ok: report.ok,
        snapshots: report.snapshots,
        'index-files': report.indexFiles,
        chunks: report.chunks,
        bytes: report.bytes,
        'bad-chunk-count': report.badChunks.length,
        'bad-chunks': report.badChunks.slice(0, MAX_REPORTED_BAD_CHUNKS),
        'bad-files': report.badFiles
      }
      await recordVerification(this.core.db, result)
      if (!report.ok) {
        throw new Error(
          `verification failed: ${report.badChunks.length} bad chunks, ${report.badFiles.length} bad files - see the task log`
        )
      }
    })
    return { upid }
  }

  verifyResult(upid: string): Promise<VerifyResult> {
    return verification(this.core.db, upid)
  }

  async demo(args: ApiArgs<'datastore.demo'>): Promise<{ upid: string }> {
    const path = absoluteDir(args.path)
    await this.assertNameFree(args.name)
    const spec = {
      seed: args.seed ?? DEMO_DEFAULTS.seed,
      vms: args.vms ?? DEMO_DEFAULTS.vms,
      cts: args.cts ?? DEMO_DEFAULTS.cts,
      hosts: args.hosts ?? DEMO_DEFAULTS.hosts,
      snapshots: args.snapshots ?? DEMO_DEFAULTS.snapshots,
      diskSize: args['disk-size'] ?? DEMO_DEFAULTS.diskSize,
      namespaces: args.namespaces ?? DEMO_DEFAULTS.namespaces
    }
    const upid = await this.core.tasks.start(
      { type: 'datastore-demo', id: args.name },
      async (ctx) => {
        ctx.log(`writing demo datastore '${args.name}' at ${path} (seed ${spec.seed})`)
        const summary = await writeDemoDatastore(path, spec, {
          signal: ctx.signal,
          log: (line) => ctx.log(line),
          progress: (p) =>
            ctx.progress({ done: p.done, total: p.total, unit: 'bytes', message: p.message })
        }).catch(asApiError)
        ctx.log(
          `wrote ${summary.snapshots} snapshots: ${summary.logicalBytes} bytes of backup data in ${summary.chunks} chunks (${summary.chunkBytes} bytes stored)`
        )
        await this.core.config.datastores.add({ name: args.name, path, comment: 'demo data' })
        ctx.log(`registered as datastore '${args.name}'`)
      }
    )
    return { upid }
  }

  private async assertNameFree(name: string): Promise<void> {
    const existing = await this.core.config.datastores.list()
    if (existing.some((d) => d.name === name)) {
      throw new ApiError('already-exists', `datastore '${name}' already exists`)
    }
  }
}
