/**
 * The snapshot manifest `index.json.blob`: which files a snapshot has, their sizes and checksums.
 * PBS serialises it through `serde_json::Value` (keys sorted) with `to_string_pretty`; the
 * `unprotected` part is outside the signature, so readers keep it as it is.
 */
import { z } from 'zod'
import { FormatError } from '../format/format-error'
import { parseJsonBytes, prettyJson, utf8 } from '../format/pretty-json'
import { decodeBlob, encodeBlob } from './blob'

export { CLIENT_LOG_BLOB_NAME, MANIFEST_BLOB_NAME } from '../format/snapshot-archive-writer'

/** PBS archive names: a safe id ending in .fidx, .didx or .blob. */
export const ARCHIVE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*\.(fidx|didx|blob)$/

const Hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hex digits')

const ManifestFile = z.object({
  filename: z.string().regex(ARCHIVE_NAME, 'not a valid archive name'),
  // Backups older than PBS 0.8 have no crypt-mode.
  'crypt-mode': z.enum(['none', 'encrypt', 'sign-only']).default('none'),
  size: z.number().int().nonnegative(),
  csum: Hex32
})

const Manifest = z.object({
  'backup-type': z.enum(['vm', 'ct', 'host']),
  'backup-id': z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/),
  'backup-time': z.number().int(),
  files: z.array(ManifestFile),
  unprotected: z.record(z.string(), z.unknown()).default({}),
  signature: z.string().nullable().default(null)
})

export type ManifestFile = z.infer<typeof ManifestFile>
export type Manifest = z.infer<typeof Manifest>

export function parseManifest(json: Uint8Array): Manifest {
  const parsed = Manifest.safeParse(parseJsonBytes(json, 'backup manifest'))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new FormatError(`invalid backup manifest: ${issue.path.join('.')}: ${issue.message}`)
  }
  const names = new Set<string>()
  for (const file of parsed.data.files) {
    if (names.has(file.filename)) throw new FormatError(`manifest lists ${file.filename} twice`)
    names.add(file.filename)
  }
  return parsed.data
}

/** Reads `index.json.blob` bytes: CRC, decompression, JSON. */
export function decodeManifestBlob(raw: Uint8Array): Manifest {
  let json: Uint8Array
  try {
    json = decodeBlob(raw)
  } catch (err) {
    throw new FormatError(`decode backup manifest blob failed - ${(err as Error).message}`)
  }
  return parseManifest(json)
}

export function manifestText(manifest: Manifest): string {
  return prettyJson(manifest, { sortKeys: true })
}

/** A manifest blob as PBS writes it: zstd-compressed JSON. */
export function encodeManifestBlob(manifest: Manifest): Buffer {
  return encodeBlob(utf8(manifestText(manifest)), { compress: true })
}

/** The key fingerprint an encrypted backup's manifest records, if any. */
export function manifestKeyFingerprint(manifest: Manifest): string | undefined {
  const value = manifest.unprotected['key-fingerprint']
  return typeof value === 'string' ? value : undefined
}
