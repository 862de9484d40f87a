/**
 * Tapes written by an independent writer of the PBS tape format (the Python fixture in
 * tests/fixtures/pbs-tape-writer, built from the PBS sources, not from Tapedeck's code) into a PBS
 * virtual-drive directory, from a datastore written by the independent PBS datastore fixture.
 *
 * First the tapes are checked with parsing code of this test only (block headers, content
 * headers, labels, chunk entries, pxar, media catalogs), so a mistake of the writer shows here and
 * not as a Tapedeck bug. Then Tapedeck reads them through a `virtual:` drive of tape.cfg, as a
 * workstation would after the PBS server is gone: inventory, catalog, media list/content, full
 * and selective restores, each compared byte for byte with the source datastore; and after
 * `pbs-import` of the PBS host's state (inventory.json and media catalogs from the writer).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tapedeck } from '../helpers/cli'
import { blobPayload, python, snapshotPath, type ExpectedDatastore } from '../helpers/pbs-host'
import { tempDir } from '../helpers/temp'

const FIXTURES = join(__dirname, '..', 'fixtures')
const DATASTORE_WRITER = join(FIXTURES, 'pbs-datastore', 'write_datastore.py')
const TAPE_WRITER = join(FIXTURES, 'pbs-tape-writer', 'pbs_tape_writer.py')

const BLOCK = 256 * 1024
const PAYLOAD = BLOCK - 16
const TAPE_SIZE = 3 * 1024 * 1024
const STORE = 'store1'
const STORE2 = 'store2'
const tapeSize = (variant: Variant) => variant.tapeSize ?? TAPE_SIZE
const CTIME = 1735689600 // 2025-01-01T00:00:00Z

/** sha256(name)[0..8], how PBS derives every magic number. */
const magic = (name: string) => createHash('sha256').update(name).digest().subarray(0, 8)
const BLOCK_MAGIC = magic('Proxmox Tape Block Header v1.0')
const CONTENT_MAGIC = magic('Proxmox Backup Content Header v1.0')
const ENTRY_MAGIC = magic('Proxmox Backup Chunk Archive Entry v1.0')
const CATALOG_FILE_MAGIC = magic('Proxmox Backup Media Catalog v1.1')
const CONTENT_MAGICS: Record<string, Buffer[]> = {
  'media-label': [magic('Proxmox Backup Tape Label v1.0')],
  'media-set-label': [magic('Proxmox Backup MediaSet Label v1.0')],
  'chunk-archive': [magic('Proxmox Backup Chunk Archive v1.1')],
  'snapshot-archive': [
    magic('Proxmox Backup Snapshot Archive v1.1'),
    magic('Proxmox Backup Snapshot Archive v1.2')
  ],
  'catalog-archive': [
    magic('Proxmox Backup Catalog Archive v1.0'),
    magic('Proxmox Backup Catalog Archive v1.1')
  ]
}

interface TapeFileSummary {
  file: number
  type: keyof typeof CONTENT_MAGICS
  uuid: string
  'content-magic': string
  incomplete: boolean
  chunks?: string[]
  'truncated-chunk'?: string
  snapshot?: string
  store?: string
  'catalog-of'?: string
  'catalog-seq-nr'?: number
  'catalog-bytes'?: number
}
interface Summary {
  'media-set-uuid': string
  'media-set-ctime': number
  pool: string
  store: string
  tapes: {
    label: string
    uuid: string
    'seq-nr': number | null
    full: boolean
    files: TapeFileSummary[]
    catalog: string | null
  }[]
  snapshots: {
    store: string
    snapshot: string
    ns: string
    tape: string
    file: number
    files: string[]
  }[]
  chunks: number
}
type Expected = ExpectedDatastore

interface Variant {
  name: string
  /** what makes this set different from the one PBS itself would write */
  args: string[]
  seed: number
  tapeSize?: number
  /** a second job backs up a second datastore (`store2`) into the same media set */
  twoStores?: boolean
  /** also import the PBS host's config and state (`pbs-import`) and restore from that */
  pbsImport?: boolean
}
const VARIANTS: Variant[] = [
  { name: 'as PBS writes it', args: [], seed: 11, pbsImport: true },
  {
    name: 'without catalog archives, many small chunk archives',
    args: ['--no-catalog-archives', '--no-previous-catalogs', '--chunk-archive-max', '200K'],
    seed: 12
  },
  {
    name: 'three backup jobs, no catalogs after the labels',
    args: ['--jobs', '3', '--no-previous-catalogs'],
    seed: 13
  },
  { name: 'root namespace only (catalog archive v1.0)', args: ['--max-depth', '0'], seed: 14 },
  {
    name: 'tapes labelled without pool, unused ones reserved, drive left empty',
    args: ['--no-label-pool', '--reserve-unused', '--eject'],
    seed: 16,
    pbsImport: true
  },
  {
    name: 'two datastores in one set, compact JSON with keys in another order',
    args: ['--compact-json'],
    seed: 17,
    tapeSize: 6 * 1024 * 1024,
    twoStores: true,
    pbsImport: true
  }
]
const NO_SET = '00000000-0000-0000-0000-000000000000'
const LABELS = ['PBS001L8', 'PBS002L8', 'PBS003L8', 'PBS004L8', 'PBS005L8', 'PBS006L8']

let work: Awaited<ReturnType<typeof tempDir>>
/** The source datastores by the name they have on tape. */
const sources = new Map<string, { root: string; expected: Expected }>()
const sets = new Map<string, { dir: string; summary: Summary }>()

beforeAll(async () => {
  work = await tempDir('tapedeck-pbs-tapes-')
  for (const [i, name] of [STORE, STORE2].entries()) {
    const root = join(work.path, name)
    const expectFile = join(work.path, `${name}.json`)
    python([
      DATASTORE_WRITER,
      root,
      '--expect',
      expectFile,
      '--chunk-dirs',
      'used',
      '--seed',
      String(i + 1)
    ])
    sources.set(name, {
      root,
      expected: JSON.parse(await readFile(expectFile, 'utf8')) as Expected
    })
  }
  const { root: source, expected } = sources.get(STORE)!
  // A client log of 1.2 MiB of noise (an uncompressed DataBlob) makes vm/101's snapshot archive
  // five blocks long, long enough to run into the early warning and be rewritten on the next tape.
  const vm101 = expected.snapshots.find((s) => s['backup-id'] === '101')!
  const log = randomBytes(1200 * 1024)
  const crc = Buffer.alloc(4)
  crc.writeUInt32LE(crc32(log))
  const blob = Buffer.concat([Buffer.from('42ab3807be8370a1', 'hex'), crc, log])
  await writeFile(join(source, snapshotPath(vm101), 'client.log.blob'), blob)
  vm101.files.push('client.log.blob')
  for (const variant of VARIANTS) {
    const dir = join(work.path, `drive-${variant.seed}`)
    const out = python([
      TAPE_WRITER,
      ...['--datastore', source, '--store-name', STORE, '--out', dir, '--pool', 'offsite'],
      ...['--labels', LABELS.join(','), '--tape-size', String(tapeSize(variant))],
      ...['--ctime', String(CTIME), '--seed', String(variant.seed), ...variant.args],
      ...(variant.twoStores ? ['--also-store', `${STORE2}=${sources.get(STORE2)!.root}`] : []),
      // the PBS host's state: tape/inventory.json and the media catalogs
      ...['--state-dir', join(work.path, `state-${variant.seed}`), '--drive-name', 'pbsvd']
    ])
    sets.set(variant.name, { dir, summary: JSON.parse(out) as Summary })
  }
}, 120_000)
afterAll(() => work.remove(), 120_000)

// ---------------------------------------------------------------------------------------------
// Reading the tapes with this test's own parsing code
// ---------------------------------------------------------------------------------------------

/** The payload of one tape file, after checking every 256 KiB block header. */
async function readTapeFile(path: string): Promise<{ data: Buffer; incomplete: boolean }> {
  const raw = await readFile(path)
  expect(raw.length % BLOCK, path).toBe(0)
  expect(raw.length).toBeGreaterThan(0)
  const parts: Buffer[] = []
  let incomplete = false
  const count = raw.length / BLOCK
  for (let i = 0; i < count; i++) {
    const block = raw.subarray(i * BLOCK, (i + 1) * BLOCK)
    expect(block.subarray(0, 8).equals(BLOCK_MAGIC), `${path} block ${i} magic`).toBe(true)
    const flags = block[8]
    const size = block.readUIntLE(9, 3)
    expect(block.readUInt32LE(12), `${path} block ${i} seq_nr`).toBe(i)
    const last = i === count - 1
    // END_OF_STREAM exactly on the last block; INCOMPLETE only with it; full blocks before it
    expect(flags & 1, `${path} block ${i} END_OF_STREAM`).toBe(last ? 1 : 0)
    expect(flags & ~3).toBe(0)
    if (!last) expect(flags, `${path} block ${i} flags`).toBe(0)
    expect(size).toBeLessThanOrEqual(PAYLOAD)
    if (!last) expect(size).toBe(PAYLOAD)
    expect(block.subarray(16 + size).every((b) => b === 0)).toBe(true)
    incomplete = (flags & 2) !== 0
    parts.push(block.subarray(16, 16 + size))
  }
  return { data: Buffer.concat(parts), incomplete }
}

function readContentHeader(data: Buffer) {
  expect(data.subarray(0, 8).equals(CONTENT_MAGIC)).toBe(true)
  const size = data.readUInt32LE(40)
  expect(data[44]).toBe(0) // part_number
  expect(data.subarray(45, 48).every((b) => b === 0)).toBe(true)
  const hex = data.subarray(16, 32).toString('hex')
  return {
    contentMagic: data.subarray(8, 16),
    uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    ctime: Number(data.readBigInt64LE(32)),
    jsonText: data.subarray(48, 48 + size).toString('utf8'),
    body: data.subarray(48 + size)
  }
}

/** A snapshot archive's pxar v1 stream: root entry, one regular file per snapshot file, goodbye. */
function readPxar(data: Buffer): { name: string; mode: bigint; mtime: bigint; data: Buffer }[] {
  let pos = 0
  const item = (type: bigint) => {
    expect(data.readBigUInt64LE(pos), `pxar item at ${pos}`).toBe(type)
    const size = Number(data.readBigUInt64LE(pos + 8))
    const content = data.subarray(pos + 16, pos + size)
    const start = pos
    pos += size
    return { start, content }
  }
  const ENTRY = 0xd5956474e588acefn
  const root = item(ENTRY).content
  expect(root.length).toBe(40)
  expect(root.readBigUInt64LE(0)).toBe(0o40664n) // S_IFDIR | 0664, uid/gid/mtime 0
  expect(root.subarray(8).every((b) => b === 0)).toBe(true)
  const files: { name: string; mode: bigint; mtime: bigint; data: Buffer; start: number }[] = []
  while (data.readBigUInt64LE(pos) === 0x16701121063917b3n) {
    const name = item(0x16701121063917b3n)
    expect(name.content[name.content.length - 1]).toBe(0)
    const stat = item(ENTRY).content
    expect(stat.length).toBe(40)
    const payload = item(0x28147a1b0b7c1a25n).content
    files.push({
      name: name.content.subarray(0, -1).toString('utf8'),
      mode: stat.readBigUInt64LE(0),
      mtime: stat.readBigInt64LE(24) * 1_000_000_000n + BigInt(stat.readUInt32LE(32)),
      data: payload,
      start: name.start
    })
  }
  const goodbye = item(0x2fec4fa642d5731dn)
  expect(pos).toBe(data.length)
  expect(goodbye.content.length).toBe(24 * (files.length + 1))
  const entries = Array.from({ length: files.length + 1 }, (_, i) => ({
    hash: goodbye.content.readBigUInt64LE(i * 24),
    offset: Number(goodbye.content.readBigUInt64LE(i * 24 + 8)),
    size: Number(goodbye.content.readBigUInt64LE(i * 24 + 16))
  }))
  const tail = entries.pop()!
  expect(tail).toEqual({
    hash: 0xef5eed5b753e1555n,
    offset: goodbye.start,
    size: 16 + 24 * (files.length + 1)
  })
  // every file once, offsets back to its FILENAME, sizes to the end of its payload
  const ends = files.map((_, i) => (i + 1 < files.length ? files[i + 1].start : goodbye.start))
  expect(entries.map((e) => goodbye.start - e.offset).sort((a, b) => a - b)).toEqual(
    files.map((f) => f.start)
  )
  for (const e of entries) {
    const i = files.findIndex((f) => f.start === goodbye.start - e.offset)
    expect(e.size).toBe(ends[i] - files[i].start)
  }
  // laid out as a binary search tree over the hashes
  entries.forEach((e, i) => {
    if (2 * i + 1 < entries.length) expect(entries[2 * i + 1].hash < e.hash).toBe(true)
    if (2 * i + 2 < entries.length) expect(entries[2 * i + 2].hash > e.hash).toBe(true)
  })
  return files
}

/** Records of a binary media catalog (§4.9): labels, chunk archives and snapshots. */
function readMediaCatalog(data: Buffer) {
  expect(data.subarray(0, 8).equals(CATALOG_FILE_MAGIC)).toBe(true)
  const out: {
    type: string
    file: number
    uuid?: string
    store?: string
    snapshot?: string
    chunks?: number
  }[] = []
  let pos = 8
  while (pos < data.length) {
    const type = String.fromCharCode(data[pos++])
    const file = Number(data.readBigUInt64LE(pos))
    if (type === 'L') {
      out.push({ type, file, uuid: data.subarray(pos + 8, pos + 24).toString('hex') })
      pos += 32
    } else if (type === 'A') {
      const len = data[pos + 24]
      out.push({ type, file, store: data.subarray(pos + 32, pos + 32 + len).toString(), chunks: 0 })
      pos += 32 + len
    } else if (type === 'C') {
      out[out.length - 1].chunks! += 1
      pos += 32
    } else if (type === 'E') {
      expect(out[out.length - 1]).toMatchObject({ type: 'A', file })
      pos += 24
    } else if (type === 'S') {
      const storeLen = data[pos + 24]
      const nameLen = data.readUInt16LE(pos + 26)
      const text = data.subarray(pos + 32, pos + 32 + storeLen + 1 + nameLen).toString()
      expect(text[storeLen]).toBe(':')
      out.push({ type, file, store: text.slice(0, storeLen), snapshot: text.slice(storeLen + 1) })
      pos += 32 + storeLen + 1 + nameLen
    } else {
      throw new Error(`unknown catalog record '${type}' at ${pos - 1}`)
    }
  }
  expect(pos).toBe(data.length)
  return out
}

/** strftime("%c") in the C locale, UTC (the CLI runs with TZ=UTC). */
function strftimeC(epoch: number): string {
  const d = new Date(epoch * 1000)
  const [day, mon] = [d.toUTCString().slice(0, 3), d.toUTCString().slice(8, 11)]
  const time = d.toISOString().slice(11, 19)
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()}`
}

const chunkFile = (root: string, hex: string) => join(root, '.chunks', hex.slice(0, 4), hex)

describe.each(VARIANTS)('a media set written by another implementation: $name', (variant) => {
  it('is a PBS virtual drive directory holding a valid PBS block stream in every tape file', async () => {
    const { dir, summary } = sets.get(variant.name)!
    const compact = variant.args.includes('--compact-json')
    const names = await readdir(dir)
    expect(JSON.parse(await readFile(join(dir, 'drive-status.json'), 'utf8'))).toHaveProperty(
      'current_tape'
    )
    for (const tape of summary.tapes) {
      const index = await readFile(join(dir, `tape-${tape.label}.json`), 'utf8')
      expect(index).toBe(`{\n  "files": ${tape.files.length}\n}`)
      expect(
        names.filter((n) => n.startsWith('tapefile-') && n.endsWith(`-${tape.label}.json`)).sort()
      ).toEqual(tape.files.map((f) => `tapefile-${f.file}-${tape.label}.json`).sort())
      for (const f of tape.files) {
        const { data, incomplete } = await readTapeFile(
          join(dir, `tapefile-${f.file}-${tape.label}.json`)
        )
        expect(incomplete).toBe(f.incomplete)
        const header = readContentHeader(data)
        expect(CONTENT_MAGICS[f.type].some((m) => m.equals(header.contentMagic))).toBe(true)
        expect(header.contentMagic.toString('hex')).toBe(f['content-magic'])
        expect(header.uuid).toBe(f.uuid)
        expect(header.ctime).toBeGreaterThanOrEqual(CTIME - 3600)
        const json = JSON.parse(header.jsonText) as Record<string, unknown>
        /** The JSON text the writer must have produced for these keys, in PBS's order. */
        const expectJson = (value: Record<string, unknown>) =>
          expect(header.jsonText).toBe(
            compact
              ? JSON.stringify(Object.fromEntries(Object.entries(value).reverse()))
              : JSON.stringify(value, null, 2)
          )
        if (f.type === 'media-label') {
          // serde_json::to_value: keys sorted; label files carry no data after the JSON
          const withPool = !variant.args.includes('--no-label-pool')
          expectJson({
            ctime: json.ctime,
            label_text: tape.label,
            ...(withPool ? { pool: 'offsite' } : {}),
            uuid: tape.uuid
          })
          expect(header.body.length).toBe(0)
        } else if (f.type === 'media-set-label') {
          expectJson({
            ctime: json.ctime,
            pool: 'offsite',
            seq_nr: tape['seq-nr'] ?? 0,
            uuid: tape['seq-nr'] === null ? NO_SET : summary['media-set-uuid']
          })
          expect(header.body.length).toBe(0)
        } else if (f.type === 'catalog-archive') {
          const of = summary.tapes.find((t) => t.label === f['catalog-of'])!
          // struct order, not sorted
          expectJson({
            uuid: of.uuid,
            media_set_uuid: summary['media-set-uuid'],
            seq_nr: of['seq-nr']
          })
          // the tape's catalog as it was when written: a prefix of its final catalog
          expect(header.body.length).toBe(f['catalog-bytes'])
          expect(
            Buffer.from(of.catalog!, 'hex').subarray(0, header.body.length).equals(header.body)
          ).toBe(true)
          readMediaCatalog(header.body)
        } else if (f.type === 'chunk-archive') {
          expectJson({ store: f.store })
          const source = sources.get(f.store!)!.root
          const entries = f.chunks!.concat(f['truncated-chunk'] ? [f['truncated-chunk']] : [])
          let pos = 0
          for (const [i, hex] of entries.entries()) {
            const entry = header.body.subarray(pos, pos + 48)
            expect(entry.subarray(0, 8).equals(ENTRY_MAGIC)).toBe(true)
            expect(entry.subarray(8, 40).toString('hex')).toBe(hex)
            const size = Number(entry.readBigUInt64LE(40))
            const blob = await readFile(chunkFile(source, hex))
            expect(size).toBe(blob.length)
            const onTape = header.body.subarray(pos + 48, pos + 48 + size)
            if (i < f.chunks!.length) expect(onTape.equals(blob)).toBe(true)
            else expect(blob.subarray(0, onTape.length).equals(onTape)).toBe(true) // cut at LEOM
            pos += 48 + size
          }
          if (f['truncated-chunk']) expect(pos).toBeGreaterThan(header.body.length)
          else expect(pos).toBe(header.body.length)
        } else if (f.type === 'snapshot-archive') {
          const snap = summary.snapshots.find(
            (s) => s.store === f.store && s.snapshot === f.snapshot
          )!
          expectJson({ snapshot: f.snapshot, store: f.store })
          const source = sources.get(f.store!)!.root
          const v12 = f.snapshot!.startsWith('ns/')
          expect(header.contentMagic.equals(CONTENT_MAGICS['snapshot-archive'][v12 ? 1 : 0])).toBe(
            true
          )
          if (f.incomplete) continue
          const files = readPxar(header.body)
          expect(files.map((x) => x.name)).toEqual(snap.files)
          for (const x of files) {
            const path = join(source, f.snapshot!, x.name)
            const st = await stat(path, { bigint: true })
            expect(x.data.equals(await readFile(path))).toBe(true)
            expect(x.mode).toBe(st.mode)
            expect(x.mtime).toBe(st.mtimeNs)
          }
        }
      }
    }
  })

  it('holds every finished snapshot and every chunk they use, spanning tapes at the early warning', async () => {
    const { dir, summary } = sets.get(variant.name)!
    const members = summary.tapes.filter((t) => t['seq-nr'] !== null)
    const rootOnly = variant.args.includes('--max-depth')
    const stores = variant.twoStores ? [STORE, STORE2] : [STORE]
    /** `store:snapshot` of every snapshot the set must hold, and `store:digest` of its chunks */
    const wanted = stores.flatMap((store) =>
      sources
        .get(store)!
        .expected.snapshots.filter((s) => s.finished && (!rootOnly || s.ns === ''))
        .map((s) => `${store}:${snapshotPath(s)}`)
    )
    const used = stores.flatMap((store) =>
      Object.entries(sources.get(store)!.expected.chunks)
        .filter(([, users]) => users.some((u) => wanted.includes(`${store}:${u}`)))
        .map(([digest]) => `${store}:${digest}`)
    )
    expect(members.length).toBeGreaterThanOrEqual(2)
    expect(members.map((t) => t['seq-nr'])).toEqual(members.map((_, i) => i))
    // every tape but the last was filled past the drive's capacity (LEOM) before the next one joined
    for (const t of members.slice(0, -1)) {
      expect(t.full).toBe(true)
      let used = 0
      for (const f of t.files)
        used += (await stat(join(dir, `tapefile-${f.file}-${t.label}.json`))).size
      expect(used).toBeGreaterThan(tapeSize(variant))
    }
    // unused tapes are labelled only (or reserved for the pool by an all-zero set label)
    for (const t of summary.tapes.filter((x) => x['seq-nr'] === null)) {
      const reserved = variant.args.includes('--reserve-unused')
      expect(t.files.map((f) => f.type)).toEqual([
        'media-label',
        ...(reserved ? ['media-set-label'] : [])
      ])
    }
    // at the early warning a snapshot archive is flagged incomplete and written again, whole, at
    // the start of the next tape; a cut chunk is written again in the next tape's first chunk archive
    const rewritten = members.flatMap((t, seq) => {
      const last = t.files[t.files.length - 1]
      if (last.type === 'snapshot-archive' && last.incomplete) {
        expect(members[seq + 1].files.find((f) => f.type === 'snapshot-archive')).toMatchObject({
          snapshot: last.snapshot,
          incomplete: false
        })
        return [last.snapshot]
      }
      if (last['truncated-chunk']) {
        const next = members[seq + 1].files.find((f) => f.type === 'chunk-archive')!
        expect(next.chunks![0]).toBe(last['truncated-chunk'])
      }
      return []
    })
    expect(rewritten).toHaveLength(1)
    expect(members.some((t) => t.files.some((f) => f['truncated-chunk']))).toBe(true)
    const complete = members.flatMap((t) => t.files.filter((f) => !f.incomplete))
    const snapshots = complete
      .filter((f) => f.type === 'snapshot-archive')
      .map((f) => `${f.store}:${f.snapshot}`)
    expect(snapshots.sort()).toEqual(wanted.sort())
    const chunks = complete.flatMap((f) => (f.chunks ?? []).map((d) => `${f.store}:${d}`))
    // each once: deduplicated over the whole set, per datastore
    expect(chunks.sort()).toEqual(used.sort())
    // the media catalogs point at the archives where they are
    for (const t of members) {
      const records = readMediaCatalog(Buffer.from(t.catalog!, 'hex'))
      expect(records.slice(0, 2).map((r) => [r.type, r.file])).toEqual([
        ['L', 0],
        ['L', 1]
      ])
      for (const r of records.slice(2)) {
        const f = t.files[r.file]
        if (r.type === 'S')
          expect(f).toMatchObject({
            type: 'snapshot-archive',
            store: r.store,
            snapshot: r.snapshot,
            incomplete: false
          })
        else
          expect(f).toMatchObject({
            type: 'chunk-archive',
            store: r.store,
            chunks: expect.any(Array)
          })
        if (r.type === 'A') expect(f.chunks).toHaveLength(r.chunks!)
      }
    }
    const catalogs = members.flatMap((t) => t.files.filter((f) => f.type === 'catalog-archive'))
    if (variant.args.includes('--no-catalog-archives')) {
      expect(catalogs).toHaveLength(0)
      const chunkArchives = complete.filter((f) => f.type === 'chunk-archive').length
      expect(chunkArchives).toBeGreaterThan(snapshots.length)
    } else {
      const last = members[members.length - 1]
      expect(last.files[last.files.length - 1]).toMatchObject({
        type: 'catalog-archive',
        'catalog-of': last.label
      })
      const v11 = !rootOnly
      for (const c of catalogs) {
        expect(c['content-magic']).toBe(
          CONTENT_MAGICS['catalog-archive'][v11 ? 1 : 0].toString('hex')
        )
      }
    }
    if (!variant.args.includes('--no-previous-catalogs')) {
      // a tape joining the set starts with the catalogs of the tapes before it
      members.forEach((t, seq) => {
        expect(t.files.slice(2, 2 + seq).map((f) => f['catalog-of'])).toEqual(
          members.slice(0, seq).map((m) => m.label)
        )
      })
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Tapedeck reading the tapes
// ---------------------------------------------------------------------------------------------

/** Plain payload of a DataBlob (unencrypted manifests), decoded with the zstd CLI. */
/** Every file under root but lock files and group owner files, by relative path. */
async function files(root: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && !/(^|\/)(\.lock|owner|notes|\.protected)$/.test(e.name)) {
      out.push(relative(root, join(e.parentPath, e.name)))
    }
  }
  return out.sort()
}

/**
 * The restored datastore holds exactly the given snapshots and the chunks they use, each file
 * identical to the source; manifests equal to the source's but for `unprotected.verify_state`,
 * which a restore drops (PBS re-encodes the manifest without it).
 */
async function expectRestored(target: string, store: string, snapshots: string[]) {
  const { root: source, expected } = sources.get(store)!
  const chunks = Object.entries(expected.chunks)
    .filter(([, users]) => users.some((u) => snapshots.includes(u)))
    .map(([hex]) => `.chunks/${hex.slice(0, 4)}/${hex}`)
  const snapshotFiles = expected.snapshots
    .filter((s) => snapshots.includes(snapshotPath(s)))
    .flatMap((s) => s.files.map((f) => `${snapshotPath(s)}/${f}`))
  expect(snapshotFiles.length).toBeGreaterThan(0)
  expect(await files(target)).toEqual([...chunks, ...snapshotFiles].sort())
  for (const path of [...chunks, ...snapshotFiles]) {
    const got = await readFile(join(target, path))
    const want = await readFile(join(source, path))
    if (!path.endsWith('/index.json.blob')) {
      expect(got.equals(want), path).toBe(true)
      continue
    }
    const manifest = JSON.parse(blobPayload(want).toString()) as {
      unprotected: Record<string, unknown>
    }
    delete manifest.unprotected.verify_state
    expect(JSON.parse(blobPayload(got).toString()), path).toEqual(manifest)
  }
}

describe('Tapedeck reading a PBS virtual drive written elsewhere', { timeout: 180_000 }, () => {
  const homes = new Map<string, string>()
  const cli = (variant: Variant, ...args: string[]) => {
    const result = tapedeck(
      homes.get(variant.name)!,
      ['--output-format', 'json', ...args],
      {},
      120_000
    )
    return { ...result, log: `${args.join(' ')}\n${result.stdout}\n${result.stderr}` }
  }
  const ok = (variant: Variant, ...args: string[]) => {
    const result = cli(variant, ...args)
    expect(result.code, result.log).toBe(0)
    return result
  }
  const json = <T>(variant: Variant, ...args: string[]) =>
    JSON.parse(ok(variant, ...args).stdout) as T

  beforeAll(async () => {
    for (const variant of VARIANTS) {
      const home = join(work.path, `home-${variant.seed}`)
      homes.set(variant.name, home)
      const { dir } = sets.get(variant.name)!
      await mkdir(home)
      // tape.cfg as a PBS admin would have it (section config, PBS `virtual:` drive)
      await writeFile(
        join(home, 'tape.cfg'),
        `virtual: pbsvd\n\tpath ${dir}\n\tmax-size ${tapeSize(variant)}\n`
      )
      // empty targets (a PBS datastore: .chunks and .lock; prefix dirs made as chunks arrive)
      for (const name of ['full', 'chosen']) {
        const path = join(work.path, `${name}-${variant.seed}`)
        await mkdir(join(path, '.chunks'), { recursive: true })
        await writeFile(join(path, '.lock'), '')
        ok(variant, 'datastore', 'add', name, '--path', path)
      }
    }
  }, 60_000)

  const members = (summary: Summary) => summary.tapes.filter((t) => t['seq-nr'] !== null)
  /**
   * Two snapshots to restore, both from the datastore written last: its first one and the
   * last one written (with two datastores, the same paths exist in both).
   */
  const chosen = (summary: Summary) => {
    const last = summary.snapshots[summary.snapshots.length - 1]
    const first = summary.snapshots.find((s) => s.store === last.store)!
    return { store: last.store, snapshots: [first.snapshot, last.snapshot] }
  }

  /** One variant restores the whole set before any catalog exists (PBS needs none for that). */
  const fullRestoreFirst = (variant: Variant) => variant.args.includes('--jobs')
  /** Only store1 is mapped: with two datastores on the set, store2 must be left alone. */
  const fullRestore = (variant: Variant) => async () => {
    const { summary } = sets.get(variant.name)!
    ok(variant, 'restore', summary['media-set-uuid'], `${STORE}=full`, '--drive', 'pbsvd')
    await expectRestored(
      join(work.path, `full-${variant.seed}`),
      STORE,
      summary.snapshots.filter((s) => s.store === STORE).map((s) => s.snapshot)
    )
  }

  describe.each(VARIANTS)('$name', (variant) => {
    it('inventories every tape from its labels', () => {
      const { summary } = sets.get(variant.name)!
      ok(variant, 'inventory', '--drive', 'pbsvd', '--read-all-labels')
      const list = json<Record<string, unknown>[]>(variant, 'media', 'list')
      expect(list.map((m) => m['label-text']).sort()).toEqual(summary.tapes.map((t) => t.label))
      for (const tape of summary.tapes) {
        const entry = list.find((m) => m['label-text'] === tape.label)!
        expect(entry).toMatchObject({ uuid: tape.uuid })
        // PBS MediaId::pool(): the set label's pool, else the label's (reserved tapes: below)
        const labelPool = !variant.args.includes('--no-label-pool')
        const member = tape['seq-nr'] !== null
        if (member || !variant.args.includes('--reserve-unused')) {
          expect(entry.pool).toBe(member || labelPool ? 'offsite' : undefined)
        }
        // an all-zero media-set uuid means no media set
        if (!member) expect(entry['media-set-uuid'] ?? NO_SET).toBe(NO_SET)
        else
          expect(entry).toMatchObject({
            'media-set-uuid': summary['media-set-uuid'],
            'seq-nr': tape['seq-nr']
          })
      }
    })

    if (fullRestoreFirst(variant)) {
      it(
        'restores the whole media set into an empty datastore, without catalogs',
        fullRestore(variant)
      )
    }

    it('rebuilds the catalogs from the tapes and lists their content', () => {
      const { summary } = sets.get(variant.name)!
      const tapes = members(summary)
      if (variant.args.includes('--no-catalog-archives')) {
        // no catalog archive anywhere: `catalog` falls back to reading every file (PBS does the
        // same), `--scan` reads every file from the start
        tapes.forEach((t, i) => {
          ok(variant, 'load-media', t.label, '--drive', 'pbsvd')
          ok(variant, 'catalog', '--drive', 'pbsvd', ...(i === 0 ? [] : ['--scan']))
        })
      } else if (variant.args.includes('--jobs')) {
        ok(variant, 'inventory', '--drive', 'pbsvd', '--catalog')
      } else {
        // the fast path: the last tape carries the catalogs of every tape of the set
        ok(variant, 'load-media', tapes[tapes.length - 1].label, '--drive', 'pbsvd')
        ok(variant, 'catalog', '--drive', 'pbsvd')
      }
      const content = json<Record<string, unknown>[]>(variant, 'media', 'content')
      expect(content.map((c) => [c['label-text'], c.store, c.snapshot]).sort()).toEqual(
        summary.snapshots.map((s) => [s.tape, s.store, s.snapshot]).sort()
      )
      for (const c of content) {
        const tape = summary.tapes.find((t) => t.label === c['label-text'])!
        expect(c).toMatchObject({
          'media-set-uuid': summary['media-set-uuid'],
          'seq-nr': tape['seq-nr'],
          pool: 'offsite'
        })
      }
    })

    it.runIf(variant.args.includes('--reserve-unused'))(
      "keeps a tape reserved by an all-zero set label in that label's pool, as PBS does",
      () => {
        // PBS keeps the unassigned set label (Inventory::store) and MediaId::pool() answers
        // its pool, so `media list` shows such a tape in that pool.
        const { summary } = sets.get(variant.name)!
        const list = json<Record<string, unknown>[]>(variant, 'media', 'list')
        for (const tape of summary.tapes.filter((t) => t['seq-nr'] === null)) {
          expect(list.find((m) => m['label-text'] === tape.label)!.pool).toBe('offsite')
        }
      }
    )

    it('names the media set after the start time of its first tape, as PBS does', () => {
      // PBS (Inventory::generate_media_set_name) formats the ctime of the seq 0 tape's set label
      // with the pool's template (default %c) for every tape of the set; each later tape's set
      // label has its own, later ctime.
      const { summary } = sets.get(variant.name)!
      const content = json<Record<string, unknown>[]>(variant, 'media', 'content')
      const names = new Set(content.map((c) => c['media-set-name']))
      expect([...names]).toEqual([strftimeC(summary['media-set-ctime'])])
    })

    it('restores two chosen snapshots through the catalog, with a datastore map', async () => {
      const { summary } = sets.get(variant.name)!
      const { store, snapshots } = chosen(summary)
      const selection = snapshots.map((s) => `${store}:${s}`)
      ok(
        variant,
        'restore',
        summary['media-set-uuid'],
        `${store}=chosen`,
        '--drive',
        'pbsvd',
        ...selection
      )
      await expectRestored(join(work.path, `chosen-${variant.seed}`), store, snapshots)
    })

    if (!fullRestoreFirst(variant))
      it('restores the whole media set into an empty datastore', fullRestore(variant))

    it.runIf(variant.pbsImport)(
      'after pbs-import of the PBS host, lists the content before reading a tape and restores',
      async () => {
        const { dir, summary } = sets.get(variant.name)!
        const home = join(work.path, `import-home-${variant.seed}`)
        const config = join(work.path, `etc-${variant.seed}`)
        await mkdir(config)
        await writeFile(
          join(config, 'tape.cfg'),
          `virtual: pbsvd\n\tpath ${dir}\n\tmax-size ${tapeSize(variant)}\n`
        )
        await writeFile(join(config, 'media-pool.cfg'), 'pool: offsite\n')
        const run = (...args: string[]) => {
          const result = tapedeck(home, ['--output-format', 'json', ...args], {}, 120_000)
          expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0)
          return result.stdout
        }
        const before = await readFile(join(dir, 'drive-status.json'), 'utf8')
        run(
          'pbs-import',
          '--config-dir',
          config,
          '--state-dir',
          join(work.path, `state-${variant.seed}`)
        )
        const content = JSON.parse(run('media', 'content')) as Record<string, unknown>[]
        expect(content.map((c) => [c['label-text'], c.store, c.snapshot]).sort()).toEqual(
          summary.snapshots.map((s) => [s.tape, s.store, s.snapshot]).sort()
        )
        expect(await readFile(join(dir, 'drive-status.json'), 'utf8')).toBe(before) // no tape touched
        const target = join(work.path, `imported-${variant.seed}`)
        await mkdir(join(target, '.chunks'), { recursive: true })
        await writeFile(join(target, '.lock'), '')
        run('datastore', 'add', 'imported', '--path', target)
        const { store, snapshots } = chosen(summary)
        const selection = snapshots.map((s) => `${store}:${s}`)
        run(
          'restore',
          summary['media-set-uuid'],
          `${store}=imported`,
          '--drive',
          'pbsvd',
          ...selection
        )
        await expectRestored(target, store, snapshots)
      }
    )
  })
})
