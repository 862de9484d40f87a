import { describe, expect, it } from 'vitest'
import { BlockedReader } from '../../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../../main/core/format/blocked-writer'
import { writeContentHeader } from '../../../main/core/format/content-header'
import { FormatError, IncompleteArchiveError } from '../../../main/core/format/format-error'
import { SNAPSHOT_ARCHIVE_MAGIC_1_0 } from '../../../main/core/format/magics'
import { utf8 } from '../../../main/core/format/pretty-json'
import { SnapshotArchiveReader } from '../../../main/core/format/snapshot-archive-reader'
import {
  type SnapshotArchiveFile,
  snapshotFileOrder,
  writeSnapshotArchive
} from '../../../main/core/format/snapshot-archive-writer'
import { parseSnapshotPath } from '../../../main/core/format/snapshot-path'
import { MemoryTape, hex, sameBytes } from './memory-tape'

const SNAP = 'vm/100/2024-01-01T00:00:00Z'

function file(name: string, size: number, seed = 1): SnapshotArchiveFile & { data: Uint8Array } {
  const data = Uint8Array.from({ length: size }, (_, i) => (i * 13 + seed) & 0xff)
  return {
    name,
    size,
    mode: 0o644,
    uid: 34,
    gid: 34,
    mtime: { secs: 1_704_067_200, nanos: 5 },
    content: data,
    data
  }
}

async function open(tape: MemoryTape): Promise<BlockedReader> {
  const r = await BlockedReader.open(tape)
  if (typeof r === 'string') throw new Error(r)
  return r
}

describe('snapshot archive', () => {
  it('v1.1 header for root-namespace snapshots: {"snapshot", "store"} in struct order', async () => {
    const tape = new MemoryTape()
    const res = await writeSnapshotArchive(tape, {
      store: 'store1',
      snapshot: SNAP,
      files: [file('index.json.blob', 10)]
    })
    expect(res.complete).toBe(true)
    const block = tape.marks[0] as Uint8Array
    expect(hex(block.subarray(24, 32))).toBe('da1615d011e29a62')
    const json = `{\n  "snapshot": "${SNAP}",\n  "store": "store1"\n}`
    expect(Buffer.from(block.subarray(64, 64 + json.length)).toString()).toBe(json)
    // pxar starts right after the JSON with the root ENTRY (mode 040664)
    expect(hex(block.subarray(64 + json.length, 64 + json.length + 24))).toBe(
      'efac88e5746495d5' + '3800000000000000' + 'b441000000000000'
    )
  })

  it('v1.2 magic when the snapshot path has an ns/ prefix', async () => {
    const tape = new MemoryTape()
    await writeSnapshotArchive(tape, {
      store: 's',
      snapshot: `ns/a/ns/b/${SNAP}`,
      files: [file('index.json.blob', 1)]
    })
    expect(hex((tape.marks[0] as Uint8Array).subarray(24, 32))).toBe('6210369bba10331d')
    const reader = await SnapshotArchiveReader.open(await open(tape))
    expect(reader.path.ns).toEqual(['a', 'b'])
    expect(reader.snapshot).toBe(`ns/a/ns/b/${SNAP}`)
  })

  it('round-trips a multi-block snapshot with empty files and streamed content', async () => {
    const names = snapshotFileOrder(
      ['drive-scsi0.img.fidx', 'qemu-server.conf.blob', 'empty.blob'],
      true
    )
    expect(names).toEqual([
      'index.json.blob',
      'drive-scsi0.img.fidx',
      'qemu-server.conf.blob',
      'empty.blob',
      'client.log.blob'
    ])
    const sizes = [700, 600_000, 262_128, 0, 5]
    const files = names.map((n, i) => file(n, sizes[i], i))
    const streamed = files.map((f) => ({
      ...f,
      content: (async function* () {
        for (let at = 0; at < f.data.length; at += 65_536) yield f.data.subarray(at, at + 65_536)
      })()
    }))
    const tape = new MemoryTape()
    const res = await writeSnapshotArchive(tape, {
      store: 'store1',
      snapshot: SNAP,
      files: streamed
    })
    expect(res.complete).toBe(true)
    const reader = await SnapshotArchiveReader.open(await open(tape))
    expect(reader.contentUuid).toBe(res.contentUuid)
    expect(reader.store).toBe('store1')
    const entries = await reader.readAll()
    expect(entries.map((e) => e.name)).toEqual(names)
    entries.forEach((e, i) => {
      expect(sameBytes(e.data, files[i].data)).toBe(true)
      expect(e).toMatchObject({
        mode: 0o100644,
        uid: 34,
        gid: 34,
        mtime: { secs: 1_704_067_200, nanos: 5 }
      })
    })
  })

  it('LEOM while writing: INCOMPLETE stream, reported as incomplete (not corrupt)', async () => {
    const tape = new MemoryTape(2)
    const res = await writeSnapshotArchive(tape, {
      store: 's',
      snapshot: SNAP,
      files: [file('index.json.blob', 10), file('big.fidx', 1_000_000)]
    })
    expect(res.complete).toBe(false)
    const last = tape.marks[tape.marks.length - 2] as Uint8Array
    expect(last[8]).toBe(0x03)
    expect(tape.marks[tape.marks.length - 1]).toBe('filemark')
    const reader = await SnapshotArchiveReader.open(await open(tape))
    const err = await reader.readAll().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(IncompleteArchiveError)
    expect((err as IncompleteArchiveError).reason).toBe('incomplete')
  })

  it('LEOM on the header already gives an INCOMPLETE file', async () => {
    const tape = new MemoryTape(1)
    const res = await writeSnapshotArchive(tape, {
      store: 's',
      snapshot: SNAP,
      files: [file('index.json.blob', 300_000)]
    })
    expect(res.complete).toBe(false)
    const reader = await SnapshotArchiveReader.open(await open(tape))
    await expect(reader.readAll()).rejects.toBeInstanceOf(IncompleteArchiveError)
  })

  it('a complete pxar inside an INCOMPLETE stream still counts as incomplete', async () => {
    const good = new MemoryTape()
    await writeSnapshotArchive(good, {
      store: 's',
      snapshot: SNAP,
      files: [file('index.json.blob', 5)]
    })
    const block = good.marks[0] as Uint8Array
    block[8] = 0x03
    const reader = await SnapshotArchiveReader.open(await open(good))
    await expect(reader.readAll()).rejects.toThrow(/marked incomplete/)
  })

  it('an aborted write (no end marker) is incomplete; pxar damage is a FormatError', async () => {
    const aborted = new MemoryTape()
    const w = new BlockedWriter(aborted)
    await writeContentHeader(
      w,
      Uint8Array.from([0xda, 0x16, 0x15, 0xd0, 0x11, 0xe2, 0x9a, 0x62]),
      utf8(JSON.stringify({ snapshot: SNAP, store: 's' }))
    )
    await w.write(new Uint8Array(300_000))
    await w.abort()
    const r1 = await SnapshotArchiveReader.open(await open(aborted))
    const e1 = await r1.readAll().catch((e: unknown) => e)
    expect(e1).toBeInstanceOf(IncompleteArchiveError)
    expect((e1 as IncompleteArchiveError).reason).toBe('no-end-marker')

    const damaged = new MemoryTape()
    await writeSnapshotArchive(damaged, {
      store: 's',
      snapshot: SNAP,
      files: [file('index.json.blob', 5)]
    })
    const block = damaged.marks[0] as Uint8Array
    const json = `{\n  "snapshot": "${SNAP}",\n  "store": "s"\n}`
    block[64 + json.length] ^= 0xff // root ENTRY type
    const r2 = await SnapshotArchiveReader.open(await open(damaged))
    const e2 = await r2.readAll().catch((e: unknown) => e)
    expect(e2).toBeInstanceOf(FormatError)
    expect(e2).not.toBeInstanceOf(IncompleteArchiveError)
  })

  it('rejects v1.0, bad snapshot paths, and archives not starting with the manifest', async () => {
    const v10 = new MemoryTape()
    const w = new BlockedWriter(v10)
    await writeContentHeader(w, SNAPSHOT_ARCHIVE_MAGIC_1_0, utf8('{}'))
    await w.finish(false)
    await expect(SnapshotArchiveReader.open(await open(v10))).rejects.toThrow(
      'unexpected snapshot archive version (v1.0)'
    )

    const bad = new MemoryTape()
    const w2 = new BlockedWriter(bad)
    await writeContentHeader(
      w2,
      Uint8Array.from([0xda, 0x16, 0x15, 0xd0, 0x11, 0xe2, 0x9a, 0x62]),
      utf8(JSON.stringify({ snapshot: '../../etc/x/y', store: 's' }))
    )
    await w2.finish(false)
    await expect(SnapshotArchiveReader.open(await open(bad))).rejects.toThrow(
      /namespace path|invalid/
    )

    await expect(
      writeSnapshotArchive(new MemoryTape(), {
        store: 's',
        snapshot: SNAP,
        files: [file('a.blob', 1)]
      })
    ).rejects.toThrow('must start with index.json.blob')
  })
})

describe('snapshot paths', () => {
  it('parses and validates like PBS', () => {
    expect(parseSnapshotPath('ns/a/ns/b-c/ct/my.id_1/2024-02-29T23:59:59Z')).toEqual({
      ns: ['a', 'b-c'],
      type: 'ct',
      id: 'my.id_1',
      time: '2024-02-29T23:59:59Z'
    })
    for (const bad of [
      'vm/100',
      'xx/100/2024-01-01T00:00:00Z',
      'vm/-1/2024-01-01T00:00:00Z',
      'vm/100/2023-02-29T00:00:00Z',
      'vm/100/2024-01-01 00:00:00Z',
      'ns/vm/100/2024-01-01T00:00:00Z',
      'nx/a/vm/100/2024-01-01T00:00:00Z',
      'ns/../vm/100/2024-01-01T00:00:00Z',
      `${'ns/a/'.repeat(8)}vm/1/2024-01-01T00:00:00Z`
    ]) {
      expect(() => parseSnapshotPath(bad), bad).toThrow(FormatError)
    }
    expect(() => parseSnapshotPath(`ns/${'x'.repeat(255)}/vm/1/2024-01-01T00:00:00Z`)).not.toThrow()
    expect(() => parseSnapshotPath(`ns/${'x'.repeat(256)}/vm/1/2024-01-01T00:00:00Z`)).toThrow(
      /length/
    )
  })
})
