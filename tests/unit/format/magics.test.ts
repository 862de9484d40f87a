import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as blob from '../../../main/core/format/data-blob'
import * as magics from '../../../main/core/format/magics'
import { hex } from './memory-tape'

const sha8 = (s: string): string =>
  createHash('sha256').update(s).digest().subarray(0, 8).toString('hex')

// Expected hex copied from reference/pbs-tape.md §3.2–§3.4, §4.9 and §10 (byte-by-byte on-disk order).
const TABLE: [Uint8Array, string, string][] = [
  [magics.TAPE_BLOCK_HEADER_MAGIC, 'Proxmox Tape Block Header v1.0', 'dc bd af ca eb a0 a5 28'],
  [magics.CONTENT_HEADER_MAGIC, 'Proxmox Backup Content Header v1.0', '63 ee 14 9f cd f2 9b 0c'],
  [magics.MEDIA_LABEL_MAGIC_1_0, 'Proxmox Backup Tape Label v1.0', '2a 05 bf 3c b0 30 aa 39'],
  [
    magics.MEDIA_SET_LABEL_MAGIC_1_0,
    'Proxmox Backup MediaSet Label v1.0',
    '08 60 63 f9 2f 97 53 d8'
  ],
  [magics.CHUNK_ARCHIVE_MAGIC_1_0, 'Proxmox Backup Chunk Archive v1.0', '3e ad a7 5f 31 4c 06 6e'],
  [magics.CHUNK_ARCHIVE_MAGIC_1_1, 'Proxmox Backup Chunk Archive v1.1', '6d 31 63 6d d7 02 83 bf'],
  [
    magics.CHUNK_ARCHIVE_ENTRY_MAGIC_1_0,
    'Proxmox Backup Chunk Archive Entry v1.0',
    '48 57 6d f2 de 42 8f dc'
  ],
  [
    magics.SNAPSHOT_ARCHIVE_MAGIC_1_0,
    'Proxmox Backup Snapshot Archive v1.0',
    '09 b6 02 1f 7d e8 72 85'
  ],
  [
    magics.SNAPSHOT_ARCHIVE_MAGIC_1_1,
    'Proxmox Backup Snapshot Archive v1.1',
    'da 16 15 d0 11 e2 9a 62'
  ],
  [
    magics.SNAPSHOT_ARCHIVE_MAGIC_1_2,
    'Proxmox Backup Snapshot Archive v1.2',
    '62 10 36 9b ba 10 33 1d'
  ],
  [
    magics.CATALOG_ARCHIVE_MAGIC_1_0,
    'Proxmox Backup Catalog Archive v1.0',
    'b7 cf c7 25 9e 99 1e 73'
  ],
  [
    magics.CATALOG_ARCHIVE_MAGIC_1_1,
    'Proxmox Backup Catalog Archive v1.1',
    'b3 ec 71 f0 ad ec 02 60'
  ],
  [magics.MEDIA_CATALOG_MAGIC_1_0, 'Proxmox Backup Media Catalog v1.0', 'dd 1d a4 01 3b 45 13 28'],
  [magics.MEDIA_CATALOG_MAGIC_1_1, 'Proxmox Backup Media Catalog v1.1', '4c 8e e8 c1 20 a8 89 71'],
  [
    blob.UNCOMPRESSED_BLOB_MAGIC_1_0,
    'Proxmox Backup uncompressed blob v1.0',
    '42 ab 38 07 be 83 70 a1'
  ],
  [
    blob.COMPRESSED_BLOB_MAGIC_1_0,
    'Proxmox Backup zstd compressed blob v1.0',
    '31 b9 58 42 6f b6 a3 7f'
  ],
  [blob.ENCRYPTED_BLOB_MAGIC_1_0, 'Proxmox Backup encrypted blob v1.0', '7b 67 85 be 22 2d 4c f0'],
  [
    blob.ENCR_COMPR_BLOB_MAGIC_1_0,
    'Proxmox Backup zstd compressed encrypted blob v1.0',
    'e6 59 1b bf 0b bf d8 0b'
  ]
]

describe('magic numbers', () => {
  it.each(TABLE)(
    '%#: constant = sha256(string)[0..8] = reference hex',
    (constant, text, refHex) => {
      const ref = refHex.replaceAll(' ', '')
      expect(sha8(text)).toBe(ref)
      expect(hex(constant)).toBe(ref)
    }
  )

  it('content magic table names every archive magic by its hashed string', () => {
    expect(magics.CONTENT_MAGICS).toHaveLength(9)
    for (const c of magics.CONTENT_MAGICS) expect(hex(c.magic)).toBe(sha8(c.name))
    expect(magics.contentMagicInfo(magics.SNAPSHOT_ARCHIVE_MAGIC_1_2)).toMatchObject({
      kind: 'snapshot-archive',
      version: '1.2',
      supported: true
    })
    expect(magics.contentMagicInfo(magics.CHUNK_ARCHIVE_MAGIC_1_0)?.supported).toBe(false)
    expect(magics.contentMagicInfo(magics.TAPE_BLOCK_HEADER_MAGIC)).toBeUndefined()
  })
})
