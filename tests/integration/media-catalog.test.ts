/**
 * The media and inventory commands of issue 5: `media destroy|status|move`, `media.page`,
 * `catalog` (fast path from the catalog archives, `--scan`, `--force`) and `inventory --catalog`
 * on a fresh home that only knows the virtual library. A media set spanning several tapes is
 * written once; every rebuilt catalog must equal the one the backup recorded.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { CatalogStore } from '../../main/core/media/catalog-store'
import { tapedeck } from '../helpers/cli'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>
let core: Core
let work: Awaited<ReturnType<typeof tempDir>>
let setUuid: string
const MIB = 1024 * 1024

async function task(c: Core, started: Promise<{ upid: string }>) {
  const { upid } = await started
  const info = await c.tasks.wait(upid)
  const log = (await c.api.invoke('task.log', { upid, limit: 50000 })).lines.map((l) => l.text)
  return { info, log }
}

async function ok(c: Core, started: Promise<{ upid: string }>) {
  const { info, log } = await task(c, started)
  expect(info.state, log.join('\n')).toBe('ok')
  return log
}

async function members(c: Core) {
  return (await c.api.invoke('media.list', {}))
    .filter((m) => m['media-set-uuid'] === setUuid)
    .sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
}

/** Everything a catalog says about a tape, catalog archives aside (the PBS format has none). */
async function catalogOf(c: Core, uuid: string) {
  const store = new CatalogStore(c.db)
  const files = (await store.tapeFiles(uuid)).filter((f) => f.kind !== 'catalog-archive')
  return Promise.all(
    files.map(async (f) => ({
      ...f,
      digests:
        f.kind === 'chunk-archive'
          ? Buffer.from(await store.chunkArchiveDigests(uuid, f.fileNumber)).toString('hex')
          : undefined
    }))
  )
}

/** `media content` without the set name (it depends on the pool's template). */
async function content(c: Core) {
  return (await c.api.invoke('media.content', {}))
    .map((r) => ({ ...r, 'media-set-name': undefined }))
    .sort((a, b) =>
      `${a['label-text']} ${a.snapshot}` < `${b['label-text']} ${b.snapshot}` ? -1 : 1
    )
}

let before: Awaited<ReturnType<typeof content>>
const catalogsBefore = new Map<string, Awaited<ReturnType<typeof catalogOf>>>()

beforeAll(async () => {
  core = await tempCore()
  work = await tempDir('tapedeck-media-')
  await core.api.invoke('vlib.create', {
    name: 'lib',
    path: join(work.path, 'lib'),
    drives: 1,
    slots: 10,
    tapes: 6,
    'tape-size': 6 * MIB
  })
  await core.api.invoke('pool.create', { name: 'daily' })
  await ok(core, core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' }))
  const path = join(work.path, 'store')
  await writeDemoDatastore(
    path,
    { seed: 7, vms: 2, cts: 1, hosts: 1, snapshots: 2, diskSize: 8 * MIB, namespaces: true },
    { prefixDirs: 'on-demand' }
  )
  await core.api.invoke('datastore.add', { name: 'store1', path })
  const log = await ok(
    core,
    core.api.invoke('tape.backup', { store: 'store1', pool: 'daily', drive: 'lib-0' })
  )
  setUuid = /media set uuid: (\S+)/.exec(log.join('\n'))![1]
  const tapes = await members(core)
  expect(tapes.length).toBeGreaterThanOrEqual(3)
  before = await content(core)
  expect(before.length).toBeGreaterThan(0)
  for (const t of tapes) catalogsBefore.set(t.uuid, await catalogOf(core, t.uuid))
}, 180_000)

afterAll(async () => {
  await core?.cleanup()
  await work?.remove()
}, 60_000)

describe('catalog', () => {
  it('refuses a tape that has a catalog without --force', async () => {
    const tapes = await members(core)
    const last = tapes[tapes.length - 1]
    await ok(
      core,
      core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': last['label-text'] })
    )
    const { info, log } = await task(core, core.api.invoke('drive.catalog', { drive: 'lib-0' }))
    expect(info.state).toBe('error')
    expect(log.join('\n')).toContain(`media '${last['label-text']}' already has a catalog`)
  })

  it(
    'restores every catalog of the set from the catalog archives of its last tape',
    { timeout: 120_000 },
    async () => {
      const store = new CatalogStore(core.db)
      const tapes = await members(core)
      for (const t of tapes) expect(await store.destroyCatalog(t.uuid)).toBe(true)
      expect(await content(core)).toEqual([])
      const last = tapes[tapes.length - 1]
      await ok(
        core,
        core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': last['label-text'] })
      )
      const log = await ok(core, core.api.invoke('drive.catalog', { drive: 'lib-0' }))
      expect(log.join('\n')).not.toContain('scanning the entire tape')
      for (const t of tapes.slice(0, -1)) {
        expect(log.join('\n')).toContain(`restored the catalog of '${t['label-text']}'`)
      }
      for (const t of tapes)
        expect(await catalogOf(core, t.uuid)).toEqual(catalogsBefore.get(t.uuid))
      expect(await content(core)).toEqual(before)
    }
  )

  it(
    '--force --scan reads every file and gives the same catalog',
    { timeout: 120_000 },
    async () => {
      for (const t of await members(core)) {
        await ok(
          core,
          core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': t['label-text'] })
        )
        const log = await ok(
          core,
          core.api.invoke('drive.catalog', { drive: 'lib-0', force: true, scan: true })
        )
        expect(log.join('\n')).toContain('scanning the entire tape')
        expect(await catalogOf(core, t.uuid)).toEqual(catalogsBefore.get(t.uuid))
      }
      expect(await content(core)).toEqual(before)
    }
  )

  it('falls back to a scan when the tape has no catalog archive of its own', async () => {
    const [first] = await members(core)
    await new CatalogStore(core.db).destroyCatalog(first.uuid)
    await ok(
      core,
      core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': first['label-text'] })
    )
    const log = await ok(core, core.api.invoke('drive.catalog', { drive: 'lib-0' }))
    expect(log).toContain('no catalog archive of this tape found')
    expect(await catalogOf(core, first.uuid)).toEqual(catalogsBefore.get(first.uuid))
  })
})

describe('catalog after a second job', () => {
  it(
    'reads the newest catalog archive when a later job appended to the tape',
    { timeout: 180_000 },
    async () => {
      const path = join(work.path, 'store2')
      await writeDemoDatastore(
        path,
        { seed: 8, vms: 1, cts: 0, hosts: 1, snapshots: 1, diskSize: 2 * MIB, namespaces: false },
        { prefixDirs: 'on-demand' }
      )
      await core.api.invoke('datastore.add', { name: 'store2', path })
      const job = await ok(
        core,
        core.api.invoke('tape.backup', { store: 'store2', pool: 'daily', drive: 'lib-0' })
      )
      expect(job.join('\n')).toContain(`media set uuid: ${setUuid}`)
      before = await content(core)
      expect(before.some((r) => r.store === 'store2')).toBe(true)
      const tapes = await members(core)
      for (const t of tapes) catalogsBefore.set(t.uuid, await catalogOf(core, t.uuid))
      const last = tapes[tapes.length - 1]
      await new CatalogStore(core.db).destroyCatalog(last.uuid)
      await ok(
        core,
        core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': last['label-text'] })
      )
      const log = await ok(core, core.api.invoke('drive.catalog', { drive: 'lib-0' }))
      expect(log.join('\n')).not.toContain('scanning the entire tape')
      expect(log.join('\n')).toMatch(/reading the last file/)
      expect(await catalogOf(core, last.uuid)).toEqual(catalogsBefore.get(last.uuid))
      expect(await content(core)).toEqual(before)
    }
  )
})

describe('inventory --catalog on a fresh home', () => {
  it(
    'inventorizes the tapes of the library and restores their catalogs',
    { timeout: 120_000 },
    async () => {
      await ok(core, core.api.invoke('drive.unload', { drive: 'lib-0' }))
      const fresh = await tempCore()
      try {
        const lib = join(work.path, 'lib')
        await fresh.api.invoke('changer.create', { name: 'lib', path: `vlib:${lib}` })
        await fresh.api.invoke('drive.create', {
          name: 'lib-0',
          path: `vlib:${lib}#0`,
          changer: 'lib',
          'changer-drivenum': 0
        })
        await fresh.api.invoke('pool.create', { name: 'daily' })
        const log = await ok(
          fresh,
          fresh.api.invoke('drive.inventory', { drive: 'lib-0', catalog: true })
        )
        const tapes = await members(fresh)
        expect(tapes.map((t) => t.uuid)).toEqual((await members(core)).map((t) => t.uuid))
        for (const t of tapes) {
          expect(await catalogOf(fresh, t.uuid), log.join('\n')).toEqual(catalogsBefore.get(t.uuid))
        }
        expect(await content(fresh)).toEqual(before)
        // A second run finds nothing to do.
        const again = await ok(
          fresh,
          fresh.api.invoke('drive.inventory', { drive: 'lib-0', catalog: true })
        )
        expect(again.join('\n')).not.toContain('restored the catalog')
      } finally {
        await fresh.cleanup()
      }
    }
  )
})

describe('media destroy, status, move', () => {
  it('stores and clears a status', async () => {
    const [t] = await members(core)
    await core.api.invoke('media.set-status', { 'label-text': t['label-text'], status: 'damaged' })
    expect((await members(core))[0].status).toBe('damaged')
    await core.api.invoke('media.set-status', { 'label-text': t['label-text'] })
    expect((await members(core))[0].status).toBeUndefined()
    await expect(
      core.api.invoke('media.set-status', { 'label-text': 'NOPE01L9', status: 'full' })
    ).rejects.toMatchObject({ code: 'not-found' })
  })

  it('moves a tape to a vault and offline', async () => {
    const [t] = await members(core)
    await core.api.invoke('media.move', { 'label-text': t['label-text'], 'vault-name': 'safe1' })
    expect((await members(core))[0].location).toBe('vault-safe1')
    await core.api.invoke('media.move', { 'label-text': t['label-text'] })
    expect((await members(core))[0].location).toBe('offline')
    await expect(
      core.api.invoke('media.move', { 'label-text': t['label-text'], 'vault-name': 'x' })
    ).rejects.toMatchObject({ code: 'invalid-argument' })
  })

  it('refuses to destroy a tape with data unless forced; empty tapes go without', async () => {
    const tapes = await members(core)
    const last = tapes[tapes.length - 1]
    await expect(
      core.api.invoke('media.destroy', { 'label-text': last['label-text'] })
    ).rejects.toMatchObject({ code: 'in-use', message: expect.stringContaining('contains data') })
    await core.api.invoke('media.destroy', { 'label-text': last['label-text'], force: true })
    expect((await members(core)).map((t) => t.uuid)).not.toContain(last.uuid)
    expect(await new CatalogStore(core.db).catalogInfo(last.uuid)).toBeUndefined()
    expect((await content(core)).some((r) => r.uuid === last.uuid)).toBe(false)

    const empty = (await core.api.invoke('media.list', {})).find((m) => !m['media-set-uuid'])!
    await core.api.invoke('media.destroy', { 'label-text': empty['label-text'] })
    expect((await core.api.invoke('media.list', {})).map((m) => m.uuid)).not.toContain(empty.uuid)
  })

  it('pages and filters the inventory', async () => {
    const all = await core.api.invoke('media.list', {})
    const page = await core.api.invoke('media.page', { offset: 1, limit: 2 })
    expect(page.total).toBe(all.length)
    expect(page.rows).toEqual(all.slice(1, 3))
    expect(Object.values(page.counts).reduce((a, b) => a + b, 0)).toBe(all.length)
    expect(page.pools).toEqual(['daily'])
    expect(page.sets.map((s) => s.uuid)).toEqual([setUuid])
    const full = await core.api.invoke('media.page', { status: 'full' })
    expect(full.total).toBe(all.filter((m) => m.status === 'full').length)
    expect(full.rows.every((m) => m.status === 'full')).toBe(true)
    const search = await core.api.invoke('media.page', { search: all[0]['label-text'] })
    expect(search.rows.map((m) => m.uuid)).toEqual([all[0].uuid])
    expect((await core.api.invoke('media.page', { pool: '' })).total).toBe(
      all.filter((m) => !m.pool).length
    )
  })
})

describe('the CLI', () => {
  it('media status/move/destroy and catalog', { timeout: 120_000 }, async () => {
    // The CLI opens the same home as a second process; the core here has nothing running.
    const home = core.home
    const [t] = await members(core)
    const label = t['label-text']
    expect(tapedeck(home, ['media', 'status', label, 'retired']).code).toBe(0)
    expect(tapedeck(home, ['media', 'move', label, '--vault', 'offsite']).code).toBe(0)
    const list = tapedeck(home, ['media', 'list'])
    expect(list.code, list.stderr).toBe(0)
    const row = list.stdout.split('\n').find((l) => l.includes(label))!
    expect(row).toContain('retired')
    expect(row).toContain('vault-offsite')
    expect(tapedeck(home, ['media', 'status', label, 'clear']).code).toBe(0)
    expect(tapedeck(home, ['media', 'move', label, '--offline']).code).toBe(0)
    const json = JSON.parse(tapedeck(home, ['--output-format', 'json', 'media', 'list']).stdout)
    const entry = json.find((m: { 'label-text': string }) => m['label-text'] === label)
    expect(entry.status).toBeUndefined()
    expect(entry.location).toBe('offline')

    const bad = tapedeck(home, ['media', 'status', label, 'broken'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^Error: status must be full, damaged, retired or clear/)
    const both = tapedeck(home, ['media', 'move', label])
    expect(both.code).toBe(1)

    const refused = tapedeck(home, ['media', 'destroy', label])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('contains data')

    const contentBefore = tapedeck(home, ['media', 'content', '--label-text', label]).stdout
    expect(tapedeck(home, ['load-media', label, '--drive', 'lib-0']).code).toBe(0)
    const noForce = tapedeck(home, ['catalog', '--drive', 'lib-0'])
    expect(noForce.code).toBe(1)
    const forced = tapedeck(home, ['catalog', '--drive', 'lib-0', '--force', '--scan'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(tapedeck(home, ['media', 'content', '--label-text', label]).stdout).toBe(contentBefore)
    expect(tapedeck(home, ['unload', '--drive', 'lib-0']).code).toBe(0)

    const inventory = tapedeck(home, ['inventory', '--drive', 'lib-0', '--catalog'])
    expect(inventory.code, inventory.stderr).toBe(0)

    expect(tapedeck(home, ['media', 'destroy', label, '--force']).code).toBe(0)
    expect(tapedeck(home, ['media', 'list']).stdout).not.toContain(label)
  })
})
