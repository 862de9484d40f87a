/** Builds PBS binary media catalogs for tests through the product's encoder (`encodePbsCatalog`). */
import {
  encodePbsCatalog,
  type DigestRun,
  type MediaSetRef,
  type PbsExportFile
} from '../../main/core/format/media-catalog'

export type CatalogArchive =
  | {
      kind: 'chunk-archive'
      fileNumber: number
      contentUuid: string
      store: string
      digests: readonly Uint8Array[]
    }
  | {
      kind: 'snapshot-archive'
      fileNumber: number
      contentUuid: string
      store: string
      snapshot: string
    }

export const chunkArchive = (
  contentUuid: string,
  fileNumber: number,
  store: string,
  digests: readonly Uint8Array[]
): CatalogArchive => ({ kind: 'chunk-archive', fileNumber, contentUuid, store, digests })

export const snapshotArchive = (
  contentUuid: string,
  fileNumber: number,
  store: string,
  snapshot: string
): CatalogArchive => ({ kind: 'snapshot-archive', fileNumber, contentUuid, store, snapshot })

/** Magic, L(0), L(1) when `mediaSet` is given, then the archives in the order given. */
export function catalogBytes(
  mediaUuid: string,
  mediaSet: MediaSetRef | undefined,
  archives: readonly CatalogArchive[] = []
): Promise<Uint8Array> {
  const files: PbsExportFile[] = archives.map((a) =>
    a.kind === 'chunk-archive'
      ? {
          kind: a.kind,
          fileNumber: a.fileNumber,
          contentUuid: a.contentUuid,
          store: a.store,
          chunkCount: a.digests.length
        }
      : a
  )
  return encodePbsCatalog(mediaUuid, mediaSet, files, async (i) => {
    const a = archives[i]!
    return a.kind === 'chunk-archive' ? Buffer.concat(a.digests) : new Uint8Array()
  })
}

/** The digests of a parsed chunk archive, as separate arrays. */
export function runDigests(run: DigestRun): Uint8Array[] {
  return Array.from({ length: run.count }, (_, i) => {
    const at = i * run.stride + run.offset
    return run.bytes.subarray(at, at + 32)
  })
}
