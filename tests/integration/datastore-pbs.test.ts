/**
 * A datastore written by an independent implementation of the PBS format (the Python fixture
 * writer) is listed and verified correctly through the CLI; damage is found and attributed.
 */
import { spawnSync } from 'node:child_process'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatastoreSnapshot } from '../../main/core/api/contract'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

const WRITER = join(__dirname, '..', 'fixtures', 'pbs-datastore', 'write_datastore.py')

interface Expected {
  snapshots: {
    ns: string
    'backup-type': string
    'backup-id': string
    'backup-time': string
    epoch: number
    files: string[]
    protected: boolean
    owner: string
    finished: boolean
    encrypted: boolean
  }[]
  chunks: Record<string, string[]>
}

let work: Awaited<ReturnType<typeof tempDir>>
let store: string
let expected: Expected
const run = (...args: string[]) => tapedeck(join(work.path, 'home'), args)
const json = (...args: string[]) => {
  const result = run('--output-format', 'json', ...args)
  return { ...result, value: result.stdout ? JSON.parse(result.stdout) : undefined }
}

beforeAll(async () => {
  work = await tempDir('tapedeck-pbs-store-')
  store = join(work.path, 'pbs-store')
  const expectFile = join(work.path, 'expected.json')
  const writer = spawnSync(
    '/usr/bin/python3',
    [WRITER, store, '--expect', expectFile, '--chunk-dirs', 'used'],
    {
      encoding: 'utf8'
    }
  )
  if (writer.status !== 0) throw new Error(`fixture writer failed: ${writer.stderr}`)
  expected = JSON.parse(await readFile(expectFile, 'utf8')) as Expected
  expect(run('datastore', 'add', 'pbs', '--path', store).code).toBe(0)
})
afterAll(() => work.remove(), 180_000)

describe('a PBS datastore written by another implementation', () => {
  it('lists every snapshot with the right type, id, time, namespace, owner and flags', () => {
    const { code, value } = json('datastore', 'snapshots', 'pbs')
    expect(code).toBe(0)
    const key = (s: { ns: string; 'backup-type': string; 'backup-id': string }, time: number) =>
      `${s.ns}|${s['backup-type']}|${s['backup-id']}|${time}`
    const listed = new Map((value as DatastoreSnapshot[]).map((s) => [key(s, s['backup-time']), s]))
    expect(listed.size).toBe(expected.snapshots.length)
    for (const want of expected.snapshots) {
      const got = listed.get(key(want, want.epoch))
      expect(
        got,
        `${want.ns} ${want['backup-type']}/${want['backup-id']} ${want['backup-time']}`
      ).toBeDefined()
      expect(got).toMatchObject({
        finished: want.finished,
        protected: want.protected,
        owner: want.owner,
        encrypted: want.encrypted
      })
      if (want.finished) {
        const manifestFiles = want.files.filter(
          (f) => f !== 'index.json.blob' && f !== 'client.log.blob'
        )
        expect(got!.files.map((f) => f.filename)).toEqual(manifestFiles)
        expect(got!.snapshot).toMatch(new RegExp(`${want['backup-time']}$`))
      }
    }
  })

  it('prints the snapshot table with namespaces', () => {
    const text = run('datastore', 'snapshots', 'pbs', '--ns', 'prod').stdout
    expect(text).toContain('│ prod/db │ ct          │ 400')
    expect(text).not.toContain('│ /  ')
    expect(run('datastore', 'namespaces', 'pbs').stdout).toMatch(/│ prod\/db\s+│/)
  })

  it('verifies clean, checking every referenced chunk once', () => {
    const { code, value } = json('datastore', 'verify', 'pbs')
    expect(code).toBe(0)
    expect(value).toMatchObject({
      ok: true,
      snapshots: expected.snapshots.filter((s) => s.finished).length,
      chunks: Object.keys(expected.chunks).length,
      'bad-chunk-count': 0,
      'bad-files': []
    })
  })

  it('names a flipped chunk and every snapshot that uses it; exit code 1', async () => {
    // The chunk used by the most snapshots (the shared all-zero one).
    const [digest, users] = Object.entries(expected.chunks).sort(
      (a, b) => b[1].length - a[1].length
    )[0]
    expect(users.length).toBeGreaterThan(2)
    const file = join(store, '.chunks', digest.slice(0, 4), digest)
    const original = await readFile(file)
    const damaged = Buffer.from(original)
    damaged[Math.floor(damaged.length / 2)] ^= 0x01
    await writeFile(file, damaged)
    try {
      const { code, value, stderr } = json('datastore', 'verify', 'pbs')
      expect(code).toBe(1)
      expect(stderr).toContain('verification found damage')
      const [bad] = value['bad-chunks'] as {
        digest: string
        problem: string
        snapshots: string[]
      }[]
      expect(value['bad-chunks']).toHaveLength(1)
      expect(bad).toMatchObject({ digest, problem: 'Data blob has wrong CRC checksum.' })
      expect([...bad.snapshots].sort()).toEqual([...users].sort())
      const text = run('datastore', 'verify', 'pbs')
      expect(text.code).toBe(1)
      expect(text.stdout).toContain(digest)
      expect(text.stdout).toContain('DAMAGED')
      // The status remembers the last result.
      expect(run('datastore', 'show', 'pbs').stdout).toMatch(/DAMAGED \(1 bad chunks/)
    } finally {
      await writeFile(file, original)
    }
  })

  it('verifies a single snapshot and a namespace', () => {
    const encrypted = expected.snapshots.find((s) => s.encrypted)!
    const snapshot = `ns/${encrypted.ns}/${encrypted['backup-type']}/${encrypted['backup-id']}/${encrypted['backup-time']}`
    expect(json('datastore', 'verify', 'pbs', '--snapshot', snapshot).value).toMatchObject({
      ok: true,
      snapshots: 1
    })
    expect(json('datastore', 'verify', 'pbs', '--ns', 'prod/db').value).toMatchObject({
      ok: true,
      snapshots: 1
    })
    const missing = run('datastore', 'verify', 'pbs', '--snapshot', 'vm/999/2024-01-01T00:00:00Z')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('does not exist')
  })
})

describe('datastore create, demo and remove', () => {
  it('creates an empty datastore, lists nothing, and removing it keeps the files', async () => {
    const path = join(work.path, 'new-store')
    expect(run('datastore', 'create', 'fresh', '--path', path).code).toBe(0)
    expect((await readdir(join(path, '.chunks'))).length).toBe(65536)
    expect(json('datastore', 'snapshots', 'fresh').value).toEqual([])
    const again = run('datastore', 'create', 'fresh2', '--path', path)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('not empty')
    expect(run('datastore', 'remove', 'fresh').code).toBe(0)
    expect((await readdir(path)).sort()).toEqual(['.chunks', '.lock'])
  })

  it(
    'writes byte-identical demo datastores for the same seed, and they verify clean',
    { timeout: 180_000 },
    async () => {
      const args = [
        '--seed',
        '7',
        '--vms',
        '1',
        '--cts',
        '1',
        '--hosts',
        '1',
        '--snapshots',
        '2',
        '--disk-size',
        '12MiB',
        '--namespaces'
      ]
      expect(
        run('datastore', 'demo', 'demo-a', '--path', join(work.path, 'demo-a'), ...args).code
      ).toBe(0)
      expect(
        run('datastore', 'demo', 'demo-b', '--path', join(work.path, 'demo-b'), ...args).code
      ).toBe(0)
      const tree = (dir: string) =>
        spawnSync(
          'sh',
          ['-c', `cd '${dir}' && find . -type f -print0 | sort -z | xargs -0 sha256sum`],
          {
            encoding: 'utf8'
          }
        ).stdout
      const a = tree(join(work.path, 'demo-a'))
      expect(a.split('\n').length).toBeGreaterThan(10)
      expect(tree(join(work.path, 'demo-b'))).toBe(a)
      expect(json('datastore', 'verify', 'demo-a').value).toMatchObject({ ok: true })
      const namespaces = json('datastore', 'namespaces', 'demo-a').value as string[]
      expect(namespaces.length).toBeGreaterThan(1)
    }
  )
})
