/**
 * Restore plans (`tape.restore-plan`) and restores with PBS namespace mappings, on a small
 * virtual library and a demo datastore with namespaces ('', prod, prod/db, dev).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isIndexFile } from '../../main/core/datastore/chunk-index'
import { Datastore, type SnapshotInfo } from '../../main/core/datastore/datastore'
import { createDatastore } from '../../main/core/datastore/datastore-writer'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { snapshotDir, snapshotName } from '../../main/core/datastore/layout'
import { tapedeck } from '../helpers/cli'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>
let core: Core
let work: Awaited<ReturnType<typeof tempDir>>
let source: Datastore
let snapshots: SnapshotInfo[]
let setUuid: string
const MIB = 1024 * 1024

async function task(started: Promise<{ upid: string }>) {
  const { upid } = await started
  const info = await core.tasks.wait(upid)
  const log = (await core.api.invoke('task.log', { upid, limit: 50000 })).lines.map((l) => l.text)
  return { info, log }
}

async function addStore(name: string) {
  const path = join(work.path, name)
  await createDatastore(path, { prefixDirs: 'on-demand' })
  await core.api.invoke('datastore.add', { name, path })
  return path
}

/** Every file of `snap` in `root` (at `target`) equals the source, and its chunks are there. */
async function expectIdentical(root: string, snap: SnapshotInfo, target: SnapshotInfo) {
  const restored = await Datastore.open(root)
  const dir = snapshotDir(source.path, snap)
  const copy = snapshotDir(root, target)
  for (const file of [...snap.manifest!.files.map((f) => f.filename), 'index.json.blob']) {
    expect((await readFile(join(copy, file))).equals(await readFile(join(dir, file))), file).toBe(
      true
    )
  }
  for (const file of snap.manifest!.files.filter((f) => isIndexFile(f.filename))) {
    const index = await source.readIndex(snap, file.filename)
    for (let i = 0; i < index.count; i++) {
      const digest = index.digest(i)
      expect((await restored.readChunk(digest)).equals(await source.readChunk(digest))).toBe(true)
    }
  }
}

beforeAll(async () => {
  core = await tempCore()
  work = await tempDir('tapedeck-restore-plan-')
  await core.api.invoke('vlib.create', {
    name: 'lib',
    path: join(work.path, 'lib'),
    drives: 1,
    slots: 8,
    tapes: 6,
    'tape-size': 6 * MIB
  })
  await core.api.invoke('pool.create', { name: 'daily' })
  expect(
    (await task(core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' }))).info
      .state
  ).toBe('ok')
  const path = join(work.path, 'store')
  await writeDemoDatastore(
    path,
    { seed: 9, vms: 2, cts: 1, hosts: 1, snapshots: 2, diskSize: 4 * MIB, namespaces: true },
    { prefixDirs: 'on-demand' }
  )
  await core.api.invoke('datastore.add', { name: 'store1', path })
  source = await Datastore.open(path)
  snapshots = []
  for await (const s of source.allSnapshots()) snapshots.push(s)
  const { info, log } = await task(
    core.api.invoke('tape.backup', { store: 'store1', pool: 'daily', drive: 'lib-0' })
  )
  expect(info.state, log.join('\n')).toBe('ok')
  setUuid = /media set uuid: (\S+)/.exec(log.join('\n'))![1]
}, 180_000)
afterAll(async () => {
  await core.cleanup()
  await work.remove()
}, 120_000)

describe('restore plan', () => {
  it('plans a whole-set restore: every tape in order, online in its slot', async () => {
    const members = (await core.api.invoke('media.list', {}))
      .filter((m) => m['media-set-uuid'] === setUuid)
      .sort((a, b) => a['seq-nr']! - b['seq-nr']!)
    expect(members.length).toBeGreaterThanOrEqual(2)
    const plan = await core.api.invoke('tape.restore-plan', {
      'media-set': setUuid,
      store: 'store1',
      drive: 'lib-0'
    })
    expect(plan.mode).toBe('full')
    expect(plan.pool).toBe('daily')
    expect(plan.tapes.map((t) => t['label-text'])).toEqual(members.map((m) => m['label-text']))
    for (const t of plan.tapes) {
      expect(t.online).toBe(true)
      expect(t.phase).toBe('all')
      expect(t.changer).toBe('lib')
      expect(t.location).toMatch(/^(slot \d+|in drive 0) of lib$/)
      expect(t.bytes).toBeGreaterThan(0)
    }
    expect(plan['total-bytes']).toBe(members.reduce((n, m) => n + m['bytes-used']!, 0))
    expect(plan['rate-source']).toMatch(/LTO L9 native/)
    expect(plan.rate).toBe(400e6)
    // loads + the reading at 400 MB/s
    expect(plan['estimated-seconds']).toBe(plan.tapes.length * 90 + 0)
    expect(plan.snapshots).toHaveLength(snapshots.length)
    expect(plan.snapshots.every((s) => s.targets[0].exists)).toBe(true) // the source itself
    expect(plan['offline-tapes']).toEqual([])
  })

  it('plans chosen snapshots: their archives first, then exactly the chunk archives needed', async () => {
    await addStore('plan1')
    const chosen = [snapshots[0], snapshots[snapshots.length - 1]]
    const plan = await core.api.invoke('tape.restore-plan', {
      'media-set': setUuid,
      store: 'store1=plan1',
      drive: 'lib-0',
      snapshots: chosen.map((s) => `store1:${snapshotName(s)}`)
    })
    expect(plan.mode).toBe('selective')
    expect(plan.chunks).toBe('exact')
    expect(plan.snapshots.map((s) => s.snapshot)).toEqual(chosen.map(snapshotName))
    expect(plan.snapshots.map((s) => s.targets)).toEqual(
      chosen.map((s) => [{ store: 'plan1', snapshot: snapshotName(s), exists: false }])
    )
    const phases = plan.tapes.map((t) => t.phase)
    expect(phases[0]).toBe('snapshots')
    expect(phases.lastIndexOf('snapshots')).toBeLessThan(phases.indexOf('chunks'))
    const snapshotFiles = plan.tapes
      .filter((t) => t.phase === 'snapshots')
      .flatMap((t) => t.files.map((f) => `${t['label-text']}:${f}`))
    expect(snapshotFiles.sort()).toEqual(
      plan.snapshots.map((s) => `${s['label-text']}:${s.file}`).sort()
    )
    // Fewer bytes than the whole set.
    const full = await core.api.invoke('tape.restore-plan', { 'media-set': setUuid })
    expect(plan['total-bytes']).toBeLessThan(full['total-bytes'])
  })

  it('uses the library timing model for rate, load and locate times', async () => {
    await core.api.invoke('vlib.timing', {
      changer: 'lib',
      timing: { 'load-seconds': 12, 'rewind-seconds': 3, 'locate-seconds-per-gib': 1, speed: 1e6 }
    })
    try {
      const plan = await core.api.invoke('tape.restore-plan', {
        'media-set': setUuid,
        drive: 'lib-0'
      })
      expect(plan.rate).toBe(1e6)
      expect(plan['load-seconds']).toBe(15)
      expect(plan['rate-source']).toMatch(/timing model/)
      for (const t of plan.tapes)
        expect(t['estimated-seconds']).toBe(Math.round(15 + t.bytes / 1e6))
    } finally {
      await core.api.invoke('vlib.timing', { changer: 'lib', timing: null })
    }
  })

  it('rejects bad mappings and unknown sets', async () => {
    await expect(
      core.api.invoke('tape.restore-plan', {
        'media-set': setUuid,
        store: 'store1',
        namespaces: ['source=prod']
      })
    ).rejects.toThrow(/store= is required/)
    await expect(
      core.api.invoke('tape.restore-plan', { 'media-set': '00000000-0000-4000-8000-000000000000' })
    ).rejects.toThrow(/not in the inventory/)
  })
})

describe('restore with namespace mapping', () => {
  it(
    'restores the prod namespace (and below) into a new namespace, byte for byte, nothing else',
    { timeout: 180_000 },
    async () => {
      const root = await addStore('nsdst')
      const namespaces = ['store=store1,source=prod,target=restored/prod']
      const plan = await core.api.invoke('tape.restore-plan', {
        'media-set': setUuid,
        store: 'store1=nsdst',
        drive: 'lib-0',
        namespaces
      })
      const inProd = snapshots.filter((s) => s.ns[0] === 'prod')
      expect(inProd.length).toBeGreaterThanOrEqual(2)
      expect(plan.snapshots.map((s) => s.snapshot).sort()).toEqual(inProd.map(snapshotName).sort())
      expect(plan.snapshots.flatMap((s) => s.targets.map((t) => t.snapshot)).sort()).toEqual(
        inProd.map((s) => snapshotName({ ...s, ns: ['restored', ...s.ns] })).sort()
      )

      const { info, log } = await task(
        core.api.invoke('tape.restore', {
          'media-set': setUuid,
          store: 'store1=nsdst',
          drive: 'lib-0',
          namespaces
        })
      )
      expect(info.state, log.join('\n')).toBe('ok')
      expect(log.some((l) => l.startsWith('restore plan (selective)'))).toBe(true)
      const restored = await Datastore.open(root)
      const names: string[] = []
      for await (const s of restored.allSnapshots()) names.push(snapshotName(s))
      expect(names.sort()).toEqual(
        inProd.map((s) => snapshotName({ ...s, ns: ['restored', ...s.ns] })).sort()
      )
      for (const snap of inProd)
        await expectIdentical(root, snap, { ...snap, ns: ['restored', ...snap.ns] })

      // Planned again: all there, so nothing to read; restoring again skips them.
      const again = await core.api.invoke('tape.restore-plan', {
        'media-set': setUuid,
        store: 'store1=nsdst',
        namespaces
      })
      expect(again.snapshots.every((s) => s.targets.every((t) => t.exists))).toBe(true)
      expect(again.tapes).toEqual([])
    }
  )

  it(
    'restores a chosen snapshot into a mapped namespace; a snapshot outside every mapping is skipped',
    { timeout: 180_000 },
    async () => {
      const root = await addStore('nsdst2')
      const inRoot = snapshots.find((s) => s.ns.length === 0)!
      const inDev = snapshots.find((s) => s.ns[0] === 'dev')!
      const { info, log } = await task(
        core.api.invoke('tape.restore', {
          'media-set': setUuid,
          store: 'store1=nsdst2',
          drive: 'lib-0',
          snapshots: [`store1:${snapshotName(inRoot)}`, `store1:${snapshotName(inDev)}`],
          namespaces: ['store=store1,target=copy,max-depth=0']
        })
      )
      expect(info.state, log.join('\n')).toBe('warning')
      expect(log.join('\n')).toContain(
        `could not find a target namespace for store1:${snapshotName(inDev)}: skipped`
      )
      const restored = await Datastore.open(root)
      const names: string[] = []
      for await (const s of restored.allSnapshots()) names.push(snapshotName(s))
      expect(names).toEqual([snapshotName({ ...inRoot, ns: ['copy'] })])
      await expectIdentical(root, inRoot, { ...inRoot, ns: ['copy'] })
    }
  )
})

describe('tapedeck restore (CLI)', () => {
  it(
    'prints the plan; --plan-only stops there; --namespace restores into the mapped namespace',
    { timeout: 180_000 },
    async () => {
      const root = await addStore('clidst')
      const snap = snapshots.find((s) => s.ns.length === 0)!
      const args = ['restore', setUuid, 'store1=clidst', `store1:${snapshotName(snap)}`]
      const ns = ['--namespace', 'store=store1,target=from-tape']
      const plan = tapedeck(core.home, [...args, ...ns, '--plan-only'])
      expect(plan.code, plan.stderr).toBe(0)
      expect(plan.stdout).toContain(`Restore plan for media set ${setUuid} (pool daily)`)
      expect(plan.stdout).toMatch(/│ step │ label-text │ seq-nr │ read +│ files/)
      expect(plan.stdout).toContain(`clidst:ns/from-tape/${snapshotName(snap)}`)
      expect(plan.stdout).toMatch(/estimated \d/)
      const json = tapedeck(core.home, ['--output-format', 'json', ...args, ...ns, '--dry-run'])
      expect(json.code, json.stderr).toBe(0)
      const parsed = JSON.parse(json.stdout) as { mode: string; snapshots: unknown[] }
      expect(parsed.mode).toBe('selective')
      expect(parsed.snapshots).toHaveLength(1)
      // Nothing was restored by the plan.
      const empty = await Datastore.open(root)
      for await (const s of empty.allSnapshots()) throw new Error(`unexpected ${snapshotName(s)}`)

      const run = tapedeck(core.home, [...args, ...ns, '--drive', 'lib-0'], {}, 120_000)
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain('Restore plan for media set')
      expect(run.stdout).toContain('restore plan (selective)')
      await expectIdentical(root, snap, { ...snap, ns: ['from-tape'] })
    }
  )
})
