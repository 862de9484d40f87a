/**
 * A tape with an unreadable block, and one with silently corrupted bytes: the restore carries on
 * past the damage, restores everything else and names exactly the chunks it could not restore and
 * the snapshots that lack them.
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Datastore } from '../../main/core/datastore/datastore'
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

const BLOCK = 256 * 1024
const PAYLOAD = BLOCK - 16

/** Chunks of a chunk archive tape file whose entries overlap block `bad` (in payload bytes). */
async function entriesOverlappingBlock(
  tapeFile: string,
  digests: Uint8Array,
  bad: number
): Promise<Set<string>> {
  const raw = await readFile(tapeFile)
  const parts: Buffer[] = []
  for (let at = 0; at < raw.length; at += BLOCK) {
    const size = raw[at + 9] | (raw[at + 10] << 8) | (raw[at + 11] << 16)
    parts.push(raw.subarray(at + 16, at + 16 + size))
  }
  const payload = Buffer.concat(parts)
  const lost = new Set<string>()
  for (let i = 0; i < digests.length; i += 32) {
    const start = payload.indexOf(digests.subarray(i, i + 32)) - 8
    const end = start + 48 + Number(payload.readBigUInt64LE(start + 40))
    if (start < (bad + 1) * PAYLOAD && end > bad * PAYLOAD)
      lost.add(Buffer.from(digests.subarray(i, i + 32)).toString('hex'))
  }
  return lost
}

const lostChunks = (text: string) =>
  new Set([...text.matchAll(/could not be restored: (.+)/g)].flatMap((m) => m[1].split(', ')))

/** What the log calls lost is exactly what is missing in the target; everything else is identical. */
async function expectExactLoss(text: string, path: string): Promise<void> {
  const reported = new Map<string, Set<string>>()
  for (const m of text.matchAll(
    /snapshot \w+:(\S+) is incomplete: \d+ chunks? could not be restored: (.+)/g
  )) {
    reported.set(m[1], new Set(m[2].split(', ')))
  }
  expect(reported.size).toBeGreaterThan(0)
  const source = await Datastore.open(join(work.path, 'store'))
  const target = await Datastore.open(path)
  for await (const snap of source.allSnapshots()) {
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
}

let set: string

it(
  'restores everything outside a damaged block and reports exactly what was lost',
  { timeout: 180_000 },
  async () => {
    const backup = await task(
      core.api.invoke('tape.backup', { store: 'store1', pool: 'daily', drive: 'lib-0' })
    )
    expect(backup.info.state, backup.log.join('\n')).toBe('ok')
    set = /media set uuid: (\S+)/.exec(backup.log.join('\n'))![1]
    const tape = (await core.api.invoke('media.list', {})).find((m) => m['media-set-uuid'] === set)!
    // The chunk archive with the most chunks; break a block in its middle.
    const files = await new CatalogStore(core.db).tapeFiles(tape.uuid)
    const archive = files
      .filter((f) => f.kind === 'chunk-archive')
      .sort((a, b) => (b.chunkCount ?? 0) - (a.chunkCount ?? 0))[0]
    const overlapping = await entriesOverlappingBlock(
      join(work.path, 'lib', `tapefile-${archive.fileNumber}-${tape['label-text']}.json`),
      await new CatalogStore(core.db).chunkArchiveDigests(tape.uuid, archive.fileNumber),
      3
    )
    expect(overlapping.size).toBeGreaterThan(0)
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
    // Only the chunks whose entries overlap the bad block are lost: the rest of the archive
    // behind it is found again entry by entry.
    expect(lostChunks(text)).toEqual(overlapping)

    await expectExactLoss(text, path)
    // Every snapshot came back (their files are in snapshot archives, which are intact).
    const names = async (store: string) => {
      const out: string[] = []
      for await (const s of (await Datastore.open(store)).allSnapshots()) out.push(snapshotName(s))
      return out.sort()
    }
    expect(await names(path)).toEqual(await names(join(work.path, 'store')))
  }
)

it(
  'restores the rest of a chunk archive around a chunk whose bytes were corrupted on tape',
  { timeout: 180_000 },
  async () => {
    await core.api.invoke('vlib.fault-clear', { changer: 'lib' })
    const tape = (await core.api.invoke('media.list', {})).find((m) => m['media-set-uuid'] === set)!
    const catalog = new CatalogStore(core.db)
    const archive = (await catalog.tapeFiles(tape.uuid))
      .filter((f) => f.kind === 'chunk-archive')
      .sort((a, b) => (b.chunkCount ?? 0) - (a.chunkCount ?? 0))[0]
    const digests = await catalog.chunkArchiveDigests(tape.uuid, archive.fileNumber)
    // Flip one byte inside a chunk in the middle of the archive (entry header: 8-byte magic,
    // 32-byte digest, 8-byte size; the blob follows), within one tape block.
    const tapeFile = join(
      work.path,
      'lib',
      `tapefile-${archive.fileNumber}-${tape['label-text']}.json`
    )
    const bytes = await readFile(tapeFile)
    let victim: string | undefined
    for (let i = Math.floor(digests.length / 32 / 2); i < digests.length / 32 && !victim; i++) {
      const digest = digests.subarray(i * 32, i * 32 + 32)
      const at = bytes.indexOf(digest)
      if (at < 0 || (at % BLOCK) + 40 + 100 >= BLOCK) continue
      bytes[at + 40 + 60] ^= 0xff
      victim = Buffer.from(digest).toString('hex')
    }
    expect(victim).toBeDefined()
    await writeFile(tapeFile, bytes)

    const path = join(work.path, 'back2')
    await createDatastore(path, { prefixDirs: 'on-demand' })
    await core.api.invoke('datastore.add', { name: 'back2', path })
    const restore = await task(
      core.api.invoke('tape.restore', { 'media-set': set, store: 'back2', drive: 'lib-0' })
    )
    expect(restore.info.state).toBe('error')
    const text = restore.log.join('\n')
    expect(text).toMatch(
      new RegExp(`chunk ${victim} from tape is damaged \\(.*crc.*\\): not restored`, 'i')
    )
    await expectExactLoss(text, path)
    // Only that one chunk is missing: the rest of its archive was restored.
    expect([...lostChunks(text)]).toEqual([victim])
  }
)
