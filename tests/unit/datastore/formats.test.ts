/**
 * Golden bytes for the datastore formats. The expected values were produced outside Tapedeck
 * (Python's hashlib/zlib, the `cryptography` package's AES-GCM and the zstd command-line tool),
 * so they check the format, not our own round trip.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkBlob, decodeBlob, encodeBlob } from '../../../main/core/datastore/blob'
import {
  buildDynamicIndex,
  buildFixedIndex,
  parseDynamicIndex,
  parseFixedIndex
} from '../../../main/core/datastore/chunk-index'
import {
  decodeManifestBlob,
  encodeManifestBlob,
  manifestText,
  parseManifest,
  type Manifest
} from '../../../main/core/datastore/manifest'
import { declaredContentSize, zstdDecompress, zstdReady } from '../../../main/core/datastore/zstd'
import { CryptConfig, formatFingerprint } from '../../../main/core/crypto/crypt-config'
import { FormatError } from '../../../main/core/format/format-error'
import {
  COMPRESSED_BLOB_MAGIC_1_0,
  blobKind,
  sealBlobCrc
} from '../../../main/core/format/data-blob'

const hex = (text: string) => Buffer.from(text, 'hex')
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i))
const IV = Buffer.from(Array.from({ length: 16 }, (_, i) => i))
const DATA = Buffer.from('Tapedeck encrypted blob test\n'.repeat(4))
const DATA_SHA256 = '851d9167ad15d3917c6caa19ce74379f20916991efb1a7e0eb07d182d772a91b'

/** `zstd -1 -c --no-check` fed from a pipe: a frame that does not declare its size. */
const ZSTD_STREAM_FRAME =
  '28b52ffd0048250100e8546170656465636b20656e6372797074656420626c6f6220746573740a010011989413'
const COMPRESSED_BLOB = '31b958426fb6a37f9940b550' + ZSTD_STREAM_FRAME
const ENCRYPTED_BLOB =
  '7b6785be222d4cf0ffa1e00c000102030405060708090a0b0c0d0e0f7a91359b66cbfbb506ed8e55e29deed033' +
  '0dd0135d812943bd9ab54a27dd5cc731d74bc30be2b163305b3ea184adadba0d1bec971660b5a0815b4f2695538152' +
  '351c2538ac6025f2d4b7f27a914e26e370805bc1ae07f5e64f25c552521d39dbb9a372c99d4945d6e71e4799b2dd62' +
  '343d8bbb3e317e68295ac6deb4310e58caa85d91ad'
const ENCRYPTED_COMPRESSED_BLOB =
  'e6591bbf0bbfd80b0e4c1a3c000102030405060708090a0b0c0d0e0fa1a4abaed2d88df534c86a765b8249804fd98f' +
  '8b39ac6f299d178f4825c148d637d84bc409eea13a344a28b1ae9ba0a50a5ffd910e34dacfe238aec2f2'

beforeAll(() => zstdReady())

describe('CryptConfig', () => {
  const crypt = new CryptConfig(KEY)
  it('derives id_key with PBKDF2 and keys chunk digests with it', () => {
    expect(crypt.idKey.toString('hex')).toBe(
      '7c2c013efd07f3b25717a485263343cd4d292a4b65c200bb3b18ea227abe225c'
    )
    expect(crypt.computeDigest(DATA).toString('hex')).toBe(
      'f563fd2a00c76159325e810b49a3fad9a5f32f9904ae616786b8f2777291503d'
    )
  })
  it('computes the key fingerprint and prints it as PBS does', () => {
    expect(formatFingerprint(crypt.fingerprint())).toBe(
      '0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b'
    )
  })
})

describe('DataBlob', () => {
  const crypt = new CryptConfig(KEY)

  it('writes plain blobs: magic, CRC32 LE of the payload, payload', () => {
    const blob = encodeBlob(Buffer.from('abc'))
    expect(blob.toString('hex')).toBe('42ab3807be8370a1' + 'c2412435' + '616263')
  })

  it('decodes a zstd blob whose frame does not declare its size (as PBS writes them)', () => {
    expect(declaredContentSize(hex(ZSTD_STREAM_FRAME))).toBeUndefined()
    const data = decodeBlob(hex(COMPRESSED_BLOB), {
      digest: hex(DATA_SHA256),
      expectedSize: DATA.length
    })
    expect(Buffer.from(data).equals(DATA)).toBe(true)
    // Without a size hint as well (manifests, blobs).
    expect(Buffer.from(decodeBlob(hex(COMPRESSED_BLOB))).equals(DATA)).toBe(true)
  })

  it('encrypts exactly like AES-256-GCM with a 16-byte IV and empty AAD', () => {
    const blob = encodeBlob(DATA, { crypt, iv: IV })
    expect(blob.toString('hex')).toBe(ENCRYPTED_BLOB)
  })

  it('decodes both encrypted variants and checks the keyed digest', () => {
    const digest = crypt.computeDigest(DATA)
    for (const raw of [ENCRYPTED_BLOB, ENCRYPTED_COMPRESSED_BLOB]) {
      const data = decodeBlob(hex(raw), { crypt, digest, expectedSize: DATA.length })
      expect(Buffer.from(data).equals(DATA)).toBe(true)
    }
    expect(blobKind(hex(ENCRYPTED_COMPRESSED_BLOB))).toBe('encrypted-compressed')
  })

  it('keeps compression only when it makes the blob smaller', async () => {
    const compressible = Buffer.alloc(100_000, 7)
    const random = Buffer.from(createHash('sha512').update('x').digest())
    expect(blobKind(encodeBlob(compressible, { compress: true }))).toBe('compressed')
    expect(blobKind(encodeBlob(random, { compress: true }))).toBe('uncompressed')
    expect(blobKind(encodeBlob(compressible, { compress: true, crypt }))).toBe(
      'encrypted-compressed'
    )
    expect(blobKind(encodeBlob(random, { compress: true, crypt }))).toBe('encrypted')
    for (const data of [compressible, random]) {
      for (const options of [{}, { compress: true }, { crypt }, { compress: true, crypt }]) {
        const back = decodeBlob(encodeBlob(data, options), { crypt })
        expect(Buffer.from(back).equals(data)).toBe(true)
      }
    }
  })

  it('reports damage clearly and never crashes on truncated or corrupted input', () => {
    const good = hex(COMPRESSED_BLOB)
    expect(() => decodeBlob(good.subarray(0, 5))).toThrow(/blob too small/)
    expect(() => decodeBlob(Buffer.alloc(20))).toThrow(/wrong magic/)
    const flipped = Buffer.from(good)
    flipped[20] ^= 1
    expect(() => decodeBlob(flipped)).toThrow(/wrong CRC/)
    expect(() => decodeBlob(hex(ENCRYPTED_BLOB).subarray(0, 30))).toThrow(
      /encrypted blob too small/
    )
    expect(() => decodeBlob(hex(ENCRYPTED_BLOB))).toThrow(/missing CryptConfig/)
    const otherKey = new CryptConfig(Buffer.alloc(32, 9))
    expect(() => decodeBlob(hex(ENCRYPTED_BLOB), { crypt: otherKey })).toThrow(/wrong key/)
    expect(() => decodeBlob(hex(COMPRESSED_BLOB), { digest: Buffer.alloc(32) })).toThrow(
      /wrong digest/
    )
    expect(() => decodeBlob(hex(COMPRESSED_BLOB), { expectedSize: 5 })).toThrow(/wrong length/)
    // Every truncation of every variant fails with a FormatError, never anything else.
    for (const raw of [COMPRESSED_BLOB, ENCRYPTED_BLOB, ENCRYPTED_COMPRESSED_BLOB]) {
      const bytes = hex(raw)
      for (let n = 0; n < bytes.length; n++) {
        expect(() => decodeBlob(bytes.subarray(0, n), { crypt })).toThrow(FormatError)
      }
    }
  })

  it('decodes large frames without a declared size, and checks them without keeping the data', () => {
    // 10 MiB through the zstd CLI's stdin: a streaming frame, larger than the first output area
    const data = Buffer.alloc(10 * 1024 * 1024)
    for (let i = 0; i < data.length; i += 4096)
      data.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, i)
    const frame = execFileSync('zstd', ['-q', '-1', '-c'], { input: data })
    expect(declaredContentSize(frame)).toBeUndefined()
    const blob = Buffer.concat([Buffer.from(COMPRESSED_BLOB_MAGIC_1_0), Buffer.alloc(4), frame])
    sealBlobCrc(blob)
    const digest = createHash('sha256').update(data).digest()
    const decoded = decodeBlob(blob, { digest, expectedSize: data.length })
    // a later decode must not touch the data an earlier one returned
    decodeBlob(hex(COMPRESSED_BLOB))
    expect(Buffer.from(decoded).equals(data)).toBe(true)
    expect(() => checkBlob(blob, { digest, expectedSize: data.length })).not.toThrow()
    expect(() => checkBlob(blob, { digest: Buffer.alloc(32) })).toThrow(/wrong digest/)
    expect(() => checkBlob(blob, { expectedSize: data.length - 1 })).toThrow(/wrong length/)
    const damaged = Buffer.from(blob)
    damaged[damaged.length - 100] ^= 0x55
    sealBlobCrc(damaged)
    expect(() => checkBlob(damaged, { digest })).toThrow(FormatError)
  })

  it('refuses zstd frames that declare more than a blob may hold', () => {
    // single-segment frame header declaring 2^32-1 bytes (FCS field size 4)
    const frame = hex('28b52ffd' + 'a0' + 'ffffffff' + '00000000')
    expect(() => zstdDecompress(frame)).toThrow(/more than a blob may hold/)
    expect(() => zstdDecompress(hex('00112233445566'))).toThrow(/not a zstd frame/)
    expect(() => zstdDecompress(hex(ZSTD_STREAM_FRAME).subarray(0, 20))).toThrow(FormatError)
  })
})

describe('chunk indexes', () => {
  const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex')
  const d = (n: number) => Buffer.alloc(32, n)

  it('writes the fixed index header byte for byte', () => {
    const buf = buildFixedIndex({
      uuid,
      ctime: 1700000000,
      size: 10,
      chunkSize: 4,
      digests: [d(1), d(2), d(3)]
    })
    expect(buf.length).toBe(4096 + 3 * 32)
    expect(buf.subarray(0, 8).toString('hex')).toBe('2f7f41ed91fd0fcd')
    expect(buf.subarray(8, 24).equals(uuid)).toBe(true)
    expect(buf.readBigInt64LE(24)).toBe(1700000000n)
    expect(buf.subarray(32, 64).toString('hex')).toBe(
      createHash('sha256')
        .update(Buffer.concat([d(1), d(2), d(3)]))
        .digest('hex')
    )
    expect(buf.readBigUInt64LE(64)).toBe(10n)
    expect(buf.readBigUInt64LE(72)).toBe(4n)
    expect(buf.subarray(80, 4096).every((b) => b === 0)).toBe(true)

    const index = parseFixedIndex(buf)
    expect(index.count).toBe(3)
    expect(index.chunkRange(2)).toEqual({ offset: 8, length: 2 })
    expect(Buffer.from(index.digest(1)).equals(d(2))).toBe(true)
    expect(index.computeCsum().equals(Buffer.from(index.storedCsum))).toBe(true)
  })

  it('writes the dynamic index: 40-byte entries, checksum over (end LE, digest)', () => {
    const buf = buildDynamicIndex({
      uuid,
      ctime: 5,
      entries: [
        { end: 100, digest: d(1) },
        { end: 350, digest: d(2) }
      ]
    })
    expect(buf.subarray(0, 8).toString('hex')).toBe('1c914ea519bab3cd')
    expect(buf.length).toBe(4096 + 80)
    expect(buf.readBigUInt64LE(4096)).toBe(100n)
    expect(buf.readBigUInt64LE(4136)).toBe(350n)
    const entries = Buffer.alloc(80)
    entries.writeBigUInt64LE(100n, 0)
    d(1).copy(entries, 8)
    entries.writeBigUInt64LE(350n, 40)
    d(2).copy(entries, 48)
    expect(buf.subarray(32, 64).equals(createHash('sha256').update(entries).digest())).toBe(true)
    const index = parseDynamicIndex(buf)
    expect(index.size).toBe(350)
    expect(index.chunkRange(1)).toEqual({ offset: 100, length: 250 })
  })

  it('rejects wrong magic, truncation and offsets that do not advance', () => {
    const fixed = buildFixedIndex({ uuid, ctime: 0, size: 8, chunkSize: 4, digests: [d(1), d(2)] })
    expect(() => parseFixedIndex(fixed.subarray(0, 100))).toThrow(/too small/)
    expect(() => parseFixedIndex(fixed.subarray(0, fixed.length - 1))).toThrow(/wrong length/)
    expect(() => parseDynamicIndex(fixed)).toThrow(/wrong magic/)
    const zeroChunk = Buffer.from(fixed)
    zeroChunk.writeBigUInt64LE(0n, 72)
    expect(() => parseFixedIndex(zeroChunk)).toThrow(/chunk size 0/)
    const dynamic = buildDynamicIndex({
      uuid,
      ctime: 0,
      entries: [
        { end: 10, digest: d(1) },
        { end: 20, digest: d(2) }
      ]
    })
    expect(() => parseDynamicIndex(dynamic.subarray(0, dynamic.length - 3))).toThrow(
      /truncated entry/
    )
    const backwards = Buffer.from(dynamic)
    backwards.writeBigUInt64LE(5n, 4096 + 40)
    expect(() => parseDynamicIndex(backwards)).toThrow(/does not advance/)
  })
})

describe('manifest', () => {
  const manifest: Manifest = {
    'backup-type': 'vm',
    'backup-id': '100',
    'backup-time': 1714557600,
    files: [
      { filename: 'drive-scsi0.img.fidx', 'crypt-mode': 'none', size: 10, csum: 'ab'.repeat(32) }
    ],
    unprotected: { verify_state: { state: 'ok', upid: 'UPID:x' } },
    signature: null
  }

  it('prints sorted keys with two-space indentation, as serde_json::Value does', () => {
    expect(manifestText(manifest)).toBe(
      [
        '{',
        '  "backup-id": "100",',
        '  "backup-time": 1714557600,',
        '  "backup-type": "vm",',
        '  "files": [',
        '    {',
        '      "crypt-mode": "none",',
        `      "csum": "${'ab'.repeat(32)}",`,
        '      "filename": "drive-scsi0.img.fidx",',
        '      "size": 10',
        '    }',
        '  ],',
        '  "signature": null,',
        '  "unprotected": {',
        '    "verify_state": {',
        '      "state": "ok",',
        '      "upid": "UPID:x"',
        '    }',
        '  }',
        '}'
      ].join('\n')
    )
    expect(decodeManifestBlob(encodeManifestBlob(manifest))).toEqual(manifest)
  })

  it('accepts manifests older than PBS 0.8 (no crypt-mode, no unprotected)', () => {
    const old = Buffer.from(
      JSON.stringify({
        'backup-type': 'ct',
        'backup-id': '200',
        'backup-time': 1,
        files: [{ filename: 'root.pxar.didx', size: 1, csum: '00'.repeat(32) }]
      })
    )
    const parsed = parseManifest(old)
    expect(parsed.files[0]['crypt-mode']).toBe('none')
    expect(parsed.unprotected).toEqual({})
    expect(parsed.signature).toBeNull()
  })

  it('rejects manifests that are not what they claim', () => {
    const bad = (value: unknown) => () => parseManifest(Buffer.from(JSON.stringify(value)))
    expect(bad({ ...manifest, 'backup-type': 'lxc' })).toThrow(/backup-type/)
    expect(
      bad({ ...manifest, files: [{ ...manifest.files[0], filename: '../escape.fidx' }] })
    ).toThrow(/archive name/)
    expect(bad({ ...manifest, files: [manifest.files[0], manifest.files[0]] })).toThrow(/twice/)
    expect(() => parseManifest(Buffer.from('{not json'))).toThrow(/unable to parse backup manifest/)
    expect(() => decodeManifestBlob(Buffer.from('short'))).toThrow(
      /decode backup manifest blob failed/
    )
  })
})

describe('damaged input', () => {
  /** Deterministic byte flips and truncations: parsers must throw FormatError or succeed. */
  function* mutations(bytes: Buffer, count: number): Generator<Buffer> {
    let x = 0x2545f491
    const next = () => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return x >>> 0
    }
    for (let i = 0; i < count; i++) {
      const copy = Buffer.from(bytes)
      if (i % 3 === 0) yield copy.subarray(0, next() % bytes.length)
      else {
        for (let k = 0; k <= i % 4; k++) copy[next() % copy.length] ^= 1 << (next() % 8)
        yield copy
      }
    }
  }

  const attempt = (fn: () => unknown) => {
    try {
      fn()
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError)
    }
  }

  it('never crashes on damaged blobs, indexes or manifests', () => {
    const crypt = new CryptConfig(KEY)
    const uuid = Buffer.alloc(16, 7)
    const fidx = buildFixedIndex({
      uuid,
      ctime: 1,
      size: 9,
      chunkSize: 4,
      digests: [1, 2, 3].map((n) => Buffer.alloc(32, n))
    })
    const didx = buildDynamicIndex({
      uuid,
      ctime: 1,
      entries: [
        { end: 3, digest: Buffer.alloc(32, 1) },
        { end: 9, digest: Buffer.alloc(32, 2) }
      ]
    })
    const manifest = encodeManifestBlob({
      'backup-type': 'ct',
      'backup-id': '200',
      'backup-time': 1,
      files: [{ filename: 'root.pxar.didx', 'crypt-mode': 'none', size: 9, csum: '00'.repeat(32) }],
      unprotected: {},
      signature: null
    })
    for (const m of mutations(fidx, 300)) attempt(() => parseFixedIndex(m).computeCsum())
    for (const m of mutations(didx, 300)) attempt(() => parseDynamicIndex(m).computeCsum())
    for (const m of mutations(manifest, 300)) attempt(() => decodeManifestBlob(m))
    for (const raw of [COMPRESSED_BLOB, ENCRYPTED_BLOB, ENCRYPTED_COMPRESSED_BLOB]) {
      for (const m of mutations(hex(raw), 300)) attempt(() => decodeBlob(m, { crypt }))
    }
    // A blob whose CRC is right but whose zstd payload is garbage.
    const garbage = Buffer.concat([
      hex('31b958426fb6a37f00000000'),
      hex('28b52ffd0048'),
      Buffer.alloc(40, 0xaa)
    ])
    sealBlobCrc(garbage)
    expect(() => decodeBlob(garbage)).toThrow(/zstd data is corrupt/)
  })
})
