import { createHash } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { encodeBlob } from '../../../main/core/datastore/blob'
import { buildFixedIndex } from '../../../main/core/datastore/chunk-index'
import { Datastore } from '../../../main/core/datastore/datastore'
import { DatastoreWriter, createDatastore } from '../../../main/core/datastore/datastore-writer'
import { DigestSet } from '../../../main/core/datastore/digest-set'
import { encodeManifestBlob } from '../../../main/core/datastore/manifest'
import { zstdReady } from '../../../main/core/datastore/zstd'
import { newChunks } from '../../../main/core/jobs/backup/chunk-source'
import { tempDir } from '../../helpers/temp'

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest()
const CHUNK = 4096
let dir: Awaited<ReturnType<typeof tempDir>>
let store: Datastore
let digests: Buffer[]
const snapshot = { ns: [], type: 'vm' as const, id: '100', time: '2024-01-01T00:00:00Z' }

beforeAll(() => zstdReady())
beforeEach(async () => {
  dir = await tempDir('tapedeck-chunks-')
  await createDatastore(dir.path + '/s', { prefixDirs: 'on-demand' })
  const writer = new DatastoreWriter(dir.path + '/s')
  // 40 chunks: 30 distinct, chunk i repeats chunk i-10 for i ≥ 30
  const data = Array.from({ length: 40 }, (_, i) => Buffer.alloc(CHUNK, i < 30 ? i : i - 10))
  digests = data.map(sha)
  for (const [i, d] of data.entries())
    await writer.insertChunk(digests[i].toString('hex'), encodeBlob(d, { compress: true }))
  const index = buildFixedIndex({
    uuid: Buffer.alloc(16),
    ctime: 0,
    size: 40 * CHUNK,
    chunkSize: CHUNK,
    digests
  })
  const snap = await writer.beginSnapshot(snapshot, 'root@pam')
  await snap.writeFile('drive-scsi0.img.fidx', index)
  await snap.commit(
    encodeManifestBlob({
      'backup-type': 'vm',
      'backup-id': '100',
      'backup-time': Date.parse(snapshot.time) / 1000,
      files: [
        {
          filename: 'drive-scsi0.img.fidx',
          'crypt-mode': 'none',
          size: 40 * CHUNK,
          csum: sha(index.subarray(4096)).toString('hex')
        }
      ],
      unprotected: {},
      signature: null
    })
  )
  store = await Datastore.open(dir.path + '/s')
})
afterEach(() => dir.remove())

async function collect(inSet: DigestSet, readers = 3) {
  const info = await store.snapshotInfo(snapshot)
  const out: string[] = []
  for await (const chunk of newChunks(store, info, (d) => inSet.has(d), { readers })) {
    out.push(Buffer.from(chunk.digest).toString('hex'))
  }
  return out
}

it('yields each new chunk once, in index order, skipping what the media set has', async () => {
  const inSet = new DigestSet()
  for (const d of digests.slice(0, 5)) inSet.add(d)
  const got = await collect(inSet)
  expect(got).toEqual(digests.slice(5, 30).map((d) => d.toString('hex')))
  expect(await collect(new DigestSet(), 1)).toHaveLength(30)
})

it('fails naming the snapshot and chunk when a source chunk is missing or damaged', async () => {
  const hex = digests[7].toString('hex')
  await writeFile(
    join(dir.path, 's', '.chunks', hex.slice(0, 4), hex),
    Buffer.from('garbage that is long enough')
  )
  await expect(collect(new DigestSet())).rejects.toThrow(
    `snapshot vm/100/2024-01-01T00:00:00Z: chunk ${hex} is damaged`
  )
  await rm(join(dir.path, 's', '.chunks', hex.slice(0, 4), hex))
  await expect(collect(new DigestSet())).rejects.toThrow(`chunk ${hex} is missing`)
})
