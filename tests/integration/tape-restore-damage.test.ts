/**
 * A tape with an unreadable block: the restore carries on past it, restores everything else and
 * names exactly the chunks it could not restore and the snapshots that lack them.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Datastore, type SnapshotInfo } from '../../main/core/datastore/datastore'
import { createDatastore } from '../../main/core/datastore/datastore-writer'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { isIndexFile } from '../../main/core/datastore/chunk-index'
import { snapshotName } from '../../main/core/datastore/layout'
import { CatalogStore } from '../../main/core/media/catalog-store'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>
let core: Core
let work: Awaited<ReturnType<typeof tempDir>>
const MIB = 1024 * 1024

async function task(started: Promise<{ upid: string }>) {
  const { upid } = await started
  const info = await core.tasks.wait(upid)
  const log = (await core.api.invoke('task.log', { upid, limit: 50000 })).lines.map((l) => l.text)
  return { info, log }
}

beforeAll(async () => {
  core = await tempCore()
  work = await tempDir('tapedeck-damage-')
  await core.api.invoke('vlib.create', {
    name: 'lib',
    path: join(work.path, 'lib'),
    drives: 1,
    slots: 6,
    tapes: 4,
    'tape-size': 256 * MIB
  })
  await core.api.invoke('pool.create', { name: 'daily' })
  await task(core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' }))
  const path = join(work.path, 'store')
  await writeDemoDatastore(
    path,
    { seed: 9, vms: 2, cts: 1, hosts: 0, snapshots: 2, diskSize: 16 * MIB, namespaces: false },
    { prefixDirs: 'on-demand' }
  )
  await core.api.invoke('datastore.add', { name: 'store1', path })
}, 120_000)
afterAll(async () => {
  await core.cleanup()
  await work.remove()
}, 120_000)

it(
  'restores everything outside a damaged block and reports exactly what was lost',
  { timeout: 180_000 },
  async () => {
    const backup = await task(
      core.api.invoke('tape.backup', { store: 'store1', pool: 'daily', drive: 'lib-0' })
    )
    expect(backup.info.state, backup.log.join('\n')).toBe('ok')
    const set = /media set uuid: (\S+)/.exec(backup.log.join('\n'))![1]
    const tape = (await core.api.invoke('media.list', {})).find((m) => m['media-set-uuid'] === set)!
    // The chunk archive with the most chunks; break a block in its middle.
    const files = await new CatalogStore(core.db).tapeFiles(tape.uuid)
    const archive = files
      .filter((f) => f.kind === 'chunk-archive')
      .sort((a, b) => (b.chunkCount ?? 0) - (a.chunkCount ?? 0))[0]
    await core.api.invoke('vlib.fault-add', {
      changer: 'lib',
      fault: { kind: 'read-error', tape: tape['label-text'], file: archive.fileNumber, block: 3 }
    })

    const path = join(work.path, 'back')
    await createDatastore(path, { prefixDirs: 'on-demand' })
    await core.api.invoke('datastore.add', { name: 'back', path })
    const restore = await task(
      core.api.invoke('tape.restore', { 'media-set': set, store: 'back', drive: 'lib-0' })
    )
    expect(restore.info.state).toBe('error')
    const text = restore.log.join('\n')
    expect(text).toContain(`'${tape['label-text']}' file ${archive.fileNumber}:`)

    // What the log calls lost is exactly what is missing in the target.
    const reported = new Map<string, Set<string>>()
    for (const m of text.matchAll(
      /snapshot back:(\S+) is incomplete: \d+ chunks? could not be restored: (.+)/g
    )) {
      reported.set(m[1], new Set(m[2].split(', ')))
    }
    expect(reported.size).toBeGreaterThan(0)
    const source = await Datastore.open(join(work.path, 'store'))
    const target = await Datastore.open(path)
    const all: SnapshotInfo[] = []
    for await (const s of source.allSnapshots()) all.push(s)
    for (const snap of all) {
      const missing = new Set<string>()
      for (const file of snap.manifest!.files.filter((f) => isIndexFile(f.filename))) {
        const index = await source.readIndex(snap, file.filename)
        for (let i = 0; i < index.count; i++) {
          const hex = Buffer.from(index.digest(i)).toString('hex')
          const present = await stat(target.chunkPath(hex)).then(
            () => true,
            () => false
          )
          if (!present) missing.add(hex)
          else expect((await target.readChunk(hex)).equals(await source.readChunk(hex))).toBe(true)
        }
      }
      expect(reported.get(snapshotName(snap)) ?? new Set()).toEqual(missing)
    }
    // Every snapshot came back (their files are in snapshot archives, which are intact).
    const restored: string[] = []
    for await (const s of target.allSnapshots()) restored.push(snapshotName(s))
    expect(restored.sort()).toEqual(all.map(snapshotName).sort())
  }
)
