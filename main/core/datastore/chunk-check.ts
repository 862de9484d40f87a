/**
 * Checks one chunk file the way PBS verify does: it must exist, its CRC must match, its crypt mode
 * must match the index that uses it, and an unencrypted chunk must decode to the expected length
 * and hash to its digest. Pure apart from reading the file, so it runs in worker threads as well.
 */
import { readFile } from 'node:fs/promises'
import { verifyDataBlob } from '../format/data-blob'
import { checkBlob, isEncryptedKind } from './blob'
import { zstdReady } from './zstd'

export interface ChunkCheckRequest {
  path: string
  digest: Uint8Array
  /** Decoded length the index expects. */
  expectedSize: number
  /** The index that references the chunk is encrypted (crypt-mode "encrypt"). */
  encrypted: boolean
}

export interface ChunkCheckResult {
  /** Size of the chunk file (0 when missing). */
  bytes: number
  /** What is wrong; undefined for a good chunk. */
  problem?: string
}

export async function checkChunkFile(req: ChunkCheckRequest): Promise<ChunkCheckResult> {
  let raw: Buffer
  try {
    raw = await readFile(req.path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return {
      bytes: 0,
      problem: code === 'ENOENT' ? 'chunk file is missing' : `cannot read chunk file: ${code}`
    }
  }
  await zstdReady()
  try {
    const kind = verifyDataBlob(raw)
    if (isEncryptedKind(kind) !== req.encrypted) {
      return {
        bytes: raw.length,
        problem: `chunk crypt mode mismatch (chunk is ${isEncryptedKind(kind) ? 'encrypted' : 'not encrypted'}, index is ${req.encrypted ? 'encrypted' : 'not encrypted'})`
      }
    }
    // Encrypted chunks are keyed with the client's key: only the CRC can be checked without it.
    if (!req.encrypted) checkBlob(raw, { digest: req.digest, expectedSize: req.expectedSize }, kind)
    return { bytes: raw.length }
  } catch (err) {
    return { bytes: raw.length, problem: (err as Error).message }
  }
}

/**
 * Checks a chunk read from somewhere else (a tape): its CRC, and an unencrypted blob must decode
 * and hash to its digest (encrypted blobs need the client's key for that).
 */
export async function checkChunkBlob(
  blob: Uint8Array,
  digest: Uint8Array
): Promise<string | undefined> {
  await zstdReady()
  try {
    const kind = verifyDataBlob(blob)
    if (!isEncryptedKind(kind)) checkBlob(blob, { digest }, kind)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}
