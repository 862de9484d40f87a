import { describe, expect, it } from 'vitest'
import { BlockedReader } from '../../../main/core/format/blocked-reader'
import {
  CatalogArchiveReader,
  writeCatalogArchive
} from '../../../main/core/format/catalog-archive'
import { FormatError, IncompleteArchiveError } from '../../../main/core/format/format-error'
import { parsePbsCatalog } from '../../../main/core/format/media-catalog'
import {
  encodeChunkArchiveEndRecord,
  encodeChunkArchiveStartRecord,
  encodeChunkRecord,
  encodeLabelRecord,
  encodeSnapshotRecord
} from '../../../main/core/format/media-catalog-records'
import { catalogBytes, chunkArchive, runDigests, snapshotArchive } from '../../helpers/pbs-catalog'
import { MemoryTape, hex, sameBytes, unhex } from './memory-tape'

const MEDIA = '01234567-89ab-4cde-8f01-23456789abcd'
const SET = 'fedcba98-7654-4321-8fed-cba987654321'
const ARCH = '11111111-2222-4333-8444-555555555555'
const ARCH2 = '66666666-7777-4888-9999-aaaaaaaaaaaa'
const U = (u: string) => u.replaceAll('-', '')
const D1 = unhex('aa'.repeat(32))
const D2 = unhex('bb'.repeat(32))
const SNAP = 'ns/prod/vm/100/2024-01-01T00:00:00Z'

async function open(tape: MemoryTape): Promise<BlockedReader> {
  const r = await BlockedReader.open(tape)
  if (typeof r === 'string') throw new Error(r)
  return r
}

describe('media catalog records (repr(C) with padding, zeros written)', () => {
  it("'L' LabelEntry: file_number u64 | uuid | seq_nr u64", () => {
    expect(hex(encodeLabelRecord(1, SET, 0x0203))).toBe(
      '4c' + '0100000000000000' + U(SET) + '0302000000000000'
    )
  })

  it("'A' ChunkArchiveStart: file_number | uuid | store_name_len u8 | 7 pad + store", () => {
    expect(hex(encodeChunkArchiveStartRecord(2, ARCH, 'store1'))).toBe(
      '41' +
        '0200000000000000' +
        U(ARCH) +
        '06' +
        '00000000000000' +
        Buffer.from('store1').toString('hex')
    )
  })

  it("'C' digest and 'E' ChunkArchiveEnd: file_number | uuid", () => {
    expect(hex(encodeChunkRecord(D1))).toBe('43' + 'aa'.repeat(32))
    expect(hex(encodeChunkArchiveEndRecord(2, ARCH))).toBe('45' + '0200000000000000' + U(ARCH))
  })

  it("'S' SnapshotEntry: file_number | uuid | store_len u8 | pad | name_len u16 | 4 pad + store ':' path", () => {
    expect(hex(encodeSnapshotRecord(3, ARCH2, 'st', SNAP))).toBe(
      '53' +
        '0300000000000000' +
        U(ARCH2) +
        '02' +
        '00' +
        '2300' +
        '00000000' +
        Buffer.from('st').toString('hex') +
        '3a' +
        Buffer.from(SNAP).toString('hex')
    )
  })
})

describe('media catalog (parsePbsCatalog / encodePbsCatalog)', () => {
  it('encoding produces magic, L0, L1, A C C E, S — byte for byte', async () => {
    const bytes = await build()
    expect(hex(bytes)).toBe(
      '4c8ee8c120a88971' +
        hex(encodeLabelRecord(0, MEDIA, 0)) +
        hex(encodeLabelRecord(1, SET, 1)) +
        hex(encodeChunkArchiveStartRecord(2, ARCH, 'store1')) +
        '43' +
        'aa'.repeat(32) +
        '43' +
        'bb'.repeat(32) +
        hex(encodeChunkArchiveEndRecord(2, ARCH)) +
        hex(encodeSnapshotRecord(3, ARCH2, 'store1', SNAP))
    )
  })

  it('parsing gives the archives in file order (store, snapshot, digests → file)', async () => {
    const bytes = await build()
    const cat = parsePbsCatalog(bytes, { mediaUuid: MEDIA, mediaSet: { uuid: SET, seqNr: 1 } })
    expect(cat.mediaUuid).toBe(MEDIA)
    expect(cat.mediaSet).toEqual({ uuid: SET, seqNr: 1 })
    expect(cat.files.map((f) => [f.kind, f.fileNumber, f.contentUuid, f.store])).toEqual([
      ['chunk-archive', 2, ARCH, 'store1'],
      ['snapshot-archive', 3, ARCH2, 'store1']
    ])
    const [chunks, snap] = cat.files
    if (chunks?.kind !== 'chunk-archive' || snap?.kind !== 'snapshot-archive') throw new Error()
    expect(runDigests(chunks.digests).map(hex)).toEqual([hex(D1), hex(D2)])
    // the digests are views into the input, not copies
    expect(chunks.digests.bytes.buffer).toBe(bytes.buffer)
    expect(snap.snapshot).toBe(SNAP)
    // appending continues the same rules
    const next = (file: number) =>
      Buffer.concat([
        bytes,
        encodeSnapshotRecord(file, ARCH, 'store1', 'vm/1/2024-01-01T00:00:00Z')
      ])
    expect(() => parsePbsCatalog(next(3))).toThrow(
      'register_snapshot failed: got unexpected file number (3 < 4)'
    )
    expect(parsePbsCatalog(next(5)).files.map((f) => f.fileNumber)).toEqual([2, 3, 5])
  })

  it('loader validation rules', () => {
    const magic = '4c8ee8c120a88971'
    const L0 = hex(encodeLabelRecord(0, MEDIA, 0))
    const L1 = hex(encodeLabelRecord(1, SET, 1))
    const A = hex(encodeChunkArchiveStartRecord(2, ARCH, 's'))
    const E = hex(encodeChunkArchiveEndRecord(2, ARCH))
    const C = hex(encodeChunkRecord(D1))
    const S = (file: number) => hex(encodeSnapshotRecord(file, ARCH2, 's', SNAP))
    const load = (h: string, expect?: Parameters<typeof parsePbsCatalog>[1]) => () =>
      parsePbsCatalog(unhex(h), expect)
    expect(load('')).toThrow('media catalog is empty')
    expect(load('dd1da4013b451328')).toThrow('old catalog format (v1.0) is no longer supported')
    expect(load('0011223344556677')).toThrow('wrong magic number')
    expect(load(magic)).toThrow('no media label record')
    expect(load(magic + S(2))).toThrow('first record must be the media label')
    expect(load(magic + L1)).toThrow('got unexpected file number (1 != 0)')
    expect(load(magic + L0, { mediaUuid: SET })).toThrow('uuid does not match')
    expect(load(magic + L0 + L1, { mediaSet: { uuid: MEDIA, seqNr: 1 } })).toThrow(
      'unexpected media set uuid'
    )
    expect(load(magic + L0 + L1, { mediaSet: { uuid: SET, seqNr: 2 } })).toThrow(
      'unexpected media set sequence number'
    )
    expect(load(magic + L0 + L1 + C)).toThrow('no archive started')
    expect(load(magic + L0 + L1 + A + C)).toThrow('ends inside the chunk archive of file 2')
    expect(load(magic + L0 + L1 + A + A)).toThrow('already started')
    expect(load(magic + L0 + L1 + A + hex(encodeChunkArchiveEndRecord(3, ARCH)))).toThrow(
      'unexpected file number (3 != 2)'
    )
    expect(load(magic + L0 + L1 + A + hex(encodeChunkArchiveEndRecord(2, ARCH2)))).toThrow(
      'unexpected uuid'
    )
    expect(load(magic + L0 + L1 + A + E + S(2))).toThrow('(2 < 3)')
    expect(load(magic + L0 + S(1))).toThrow('wrong file number (1 < 2)')
    expect(load(magic + L0 + L1 + S(4) + L0)).toThrow(/register label failed/)
    expect(load(magic + L0 + '5a')).toThrow("unknown entry type 'Z'")
    expect(load(magic + L0 + L1 + S(4).slice(0, -2))).toThrow("truncated inside a 'S' record")
    const badSep = S(4).replace('733a', '7378') // 's' + ':' → 's' + 'x'
    expect(load(magic + L0 + L1 + badSep)).toThrow('missing separator')
    const badPath = hex(encodeSnapshotRecord(4, ARCH2, 's', 'vm/1/2024-13-01T00:00:00Z'))
    expect(load(magic + L0 + L1 + badPath)).toThrow(/invalid backup time/)
    expect(() => load(magic + L0 + L1 + A + E + S(5))()).not.toThrow()
    for (const h of [magic + L1, magic + '5a']) expect(load(h)).toThrow(FormatError)
  })
})

describe('catalog archive', () => {
  const header = { uuid: MEDIA, mediaSetUuid: SET, seqNr: 1 }

  it('header JSON in struct order uuid, media_set_uuid, seq_nr; v1.0/v1.1 by namespaces', async () => {
    const tape = new MemoryTape()
    const catalog = await build()
    await writeCatalogArchive(tape, header, catalog, { namespaces: false })
    await writeCatalogArchive(tape, header, catalog, { namespaces: true })
    const b0 = tape.marks[0] as Uint8Array
    const b1 = tape.marks[2] as Uint8Array
    expect(hex(b0.subarray(24, 32))).toBe('b7cfc7259e991e73')
    expect(hex(b1.subarray(24, 32))).toBe('b3ec71f0adec0260')
    const json = `{\n  "uuid": "${MEDIA}",\n  "media_set_uuid": "${SET}",\n  "seq_nr": 1\n}`
    expect(Buffer.from(b0.subarray(64, 64 + json.length)).toString()).toBe(json)
    expect(hex(b0.subarray(64 + json.length, 72 + json.length))).toBe('4c8ee8c120a88971')

    const r = await CatalogArchiveReader.open(await open(tape))
    expect(r.catalog).toEqual(header)
    expect(r.namespaces).toBe(false)
    const bytes = await r.readAll()
    expect(sameBytes(bytes, catalog)).toBe(true)
    const chunks = parsePbsCatalog(bytes, { mediaUuid: MEDIA }).files[0]
    expect(chunks?.kind === 'chunk-archive' && runDigests(chunks.digests).map(hex)).toEqual([
      hex(D1),
      hex(D2)
    ])
    expect((await CatalogArchiveReader.open(await open(tape))).namespaces).toBe(true)
  })

  it('a large catalog spans blocks; LEOM during the data does not cut it (as PBS)', async () => {
    const big = new Uint8Array(700_000).fill(7)
    const tape = new MemoryTape()
    expect((await writeCatalogArchive(tape, header, big, { namespaces: false })).complete).toBe(
      true
    )
    expect(
      sameBytes(await (await CatalogArchiveReader.open(await open(tape))).readAll(), big)
    ).toBe(true)

    const early = new MemoryTape(1) // early warning from the first block on
    expect((await writeCatalogArchive(early, header, big, { namespaces: false })).complete).toBe(
      true
    )
    const last = early.marks[early.marks.length - 2] as Uint8Array
    expect(last[8]).toBe(0x01)
    expect(
      sameBytes(await (await CatalogArchiveReader.open(await open(early))).readAll(), big)
    ).toBe(true)
  })

  it('INCOMPLETE and aborted catalog archives are reported as incomplete', async () => {
    const tape = new MemoryTape()
    await writeCatalogArchive(tape, header, await build(), { namespaces: false })
    ;(tape.marks[0] as Uint8Array)[8] = 0x03
    const r = await CatalogArchiveReader.open(await open(tape))
    await expect(r.readAll()).rejects.toBeInstanceOf(IncompleteArchiveError)
  })
})

function build(): Promise<Uint8Array> {
  return catalogBytes(MEDIA, { uuid: SET, seqNr: 1 }, [
    chunkArchive(ARCH, 2, 'store1', [D1, D2]),
    snapshotArchive(ARCH2, 3, 'store1', SNAP)
  ])
}
