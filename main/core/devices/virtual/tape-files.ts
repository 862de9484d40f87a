/**
 * Tape content in the PBS virtual-tape layout (`src/tape/drive/virtual_tape.rs`):
 * `tape-<label>.json` = `{"files": N}` and `tapefile-<n>-<label>.json` = the exact block stream of
 * tape file n (concatenated 256 KiB blocks; the filemark is implicit at the end of the file, so an
 * empty file is a bare filemark). Anything that knows the PBS format can read these files directly.
 * A tape file written with the drive's encryption on also has `tapefile-<n>-<label>.crypt` beside
 * it (crypt-records.ts): its blocks are ciphertext, readable only through a drive with the key.
 */
import { open, readFile, readdir, stat, truncate, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../util/atomic-write'
import { repairCryptRecords } from './crypt-records'

/**
 * Every block the virtual drive stores is exactly this big: PBS's fixed 256 KiB tape block. Kept
 * here rather than imported from core/format so the library stays a pure block device.
 */
export const VIRTUAL_BLOCK_SIZE = 262_144

export const tapeIndexPath = (dir: string, label: string): string => join(dir, `tape-${label}.json`)

export const tapeFilePath = (dir: string, label: string, file: number): string =>
  join(dir, `tapefile-${file}-${label}.json`)

/** As PBS writes it (`serde_json::to_string_pretty`): two-space indent, no trailing newline. */
export const tapeIndexJson = (files: number): string => `{\n  "files": ${files}\n}`

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'

/** Number of tape files recorded for `label`; a tape without index file is blank. */
export async function readTapeIndex(dir: string, label: string): Promise<number> {
  let text: string
  try {
    text = await readFile(tapeIndexPath(dir, label), 'utf8')
  } catch (err) {
    if (isMissing(err)) return 0
    throw err
  }
  let files: unknown
  try {
    files = (JSON.parse(text) as { files?: unknown }).files
  } catch {
    files = undefined
  }
  if (!Number.isSafeInteger(files) || (files as number) < 0) {
    throw new Error(`${tapeIndexPath(dir, label)} is damaged (expected {"files": N})`)
  }
  return files as number
}

export async function writeTapeIndex(dir: string, label: string, files: number): Promise<void> {
  await writeFileAtomic(tapeIndexPath(dir, label), tapeIndexJson(files))
}

/** Deletes tape files numbered `from` and above, with their encryption records (`.crypt`). */
export async function removeTapeFilesFrom(dir: string, label: string, from: number): Promise<void> {
  const pattern = new RegExp(`^tapefile-(\\d+)-${label}\\.(json|crypt)$`)
  for (const name of await readdir(dir)) {
    const m = pattern.exec(name)
    if (m && Number(m[1]) >= from) await unlink(join(dir, name)).catch(() => undefined)
  }
}

export interface TapeContent {
  /** Blocks per tape file; `length` is the number of files. */
  blocks: number[]
  /** The last file when it has no filemark (see `CartridgeState['open-file']`). */
  openFile: number | null
}

/**
 * Reads a tape's layout and repairs what a crash can leave behind, so the drive always starts from
 * a state a real tape could be in:
 * - a write had begun at file `openFile` (recorded in library.json before touching the files), so
 *   later files are gone on a real tape: the index is cut back to `openFile + 1`;
 * - stray files beyond the index are deleted, missing ones inside it become bare filemarks;
 * - a partial block at the end of a file (power lost mid-block) never reached the tape: cut off;
 * - so did encrypted blocks whose encryption record was not written (see crypt-records.ts);
 * - an unterminated file without any block is nothing at all: dropped.
 */
export async function loadTapeContent(
  dir: string,
  label: string,
  openFile: number | null
): Promise<TapeContent> {
  const indexed = await readTapeIndex(dir, label)
  let files = indexed
  let unterminated = openFile
  if (unterminated !== null) {
    if (unterminated <= files) files = unterminated + 1
    else unterminated = null
  }
  await removeTapeFilesFrom(dir, label, files)
  const blocks: number[] = []
  for (let n = 0; n < files; n++) {
    const path = tapeFilePath(dir, label, n)
    let size: number
    try {
      size = (await stat(path)).size
    } catch (err) {
      if (!isMissing(err)) throw err
      await (await open(path, 'a')).close()
      size = 0
    }
    let whole = Math.floor(size / VIRTUAL_BLOCK_SIZE)
    if (size !== whole * VIRTUAL_BLOCK_SIZE) await truncate(path, whole * VIRTUAL_BLOCK_SIZE)
    whole = await repairCryptRecords(dir, label, n, whole, path, VIRTUAL_BLOCK_SIZE)
    blocks.push(whole)
  }
  if (unterminated !== null && blocks[unterminated] === 0) {
    blocks.pop()
    await unlink(tapeFilePath(dir, label, unterminated)).catch(() => undefined)
    files = unterminated
    unterminated = null
  }
  if (files !== indexed) await writeTapeIndex(dir, label, files)
  return { blocks, openFile: unterminated }
}
