/**
 * The directory of a PBS virtual tape drive (`virtual:` section of tape.cfg), exactly as
 * `src/tape/drive/virtual_tape.rs` lays it out, so PBS and Tapedeck can use the same directory:
 *
 * - `drive-status.json`: `{"current_tape": {"name": "<label>", "pos": <file>}}`, or `null` when
 *   the drive is empty; `pos` is the tape file the next read or write starts at;
 * - `tape-<label>.json`: `{"files": N}`, one per tape (these are the drive's "slots");
 * - `tapefile-<n>-<label>.json`: the raw 256 KiB block stream of tape file n; its end is the
 *   filemark (an empty file is a bare filemark);
 * - `.drive.lck`: held while the drive is open.
 *
 * PBS writes the JSON files with `serde_json::to_string_pretty` of a JSON value: keys sorted,
 * two-space indent, no trailing newline — which is what `JSON.stringify(…, null, 2)` produces for
 * these shapes.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../util/atomic-write'
import { tapeFilePath, tapeIndexPath, writeTapeIndex } from '../virtual/tape-files'

export { tapeFilePath, tapeIndexPath }

export const DRIVE_STATUS_FILE = 'drive-status.json'
export const DRIVE_LOCK_FILE = '.drive.lck'
/** PBS `max_size.unwrap_or(64 * 1024 * 1024)`. */
export const DEFAULT_MAX_SIZE = 64 * 1024 * 1024

/** The tape in the drive and the file the next read or write starts at. */
export interface CurrentTape {
  name: string
  pos: number
}

/** PBS MEDIA_LABEL_SCHEMA (PROXMOX_SAFE_ID, 2–32 characters): also keeps file names sane. */
const LABEL = /^[A-Za-z0-9_][A-Za-z0-9._-]{1,31}$/
const TAPE_INDEX = /^tape-(.+)\.json$/

export function checkLabel(label: string): void {
  if (!LABEL.test(label)) {
    throw new Error(
      `'${label}' is not a valid label text (2-32 characters: letters, digits, '_', '.', '-'; ` +
        `not starting with '.' or '-')`
    )
  }
}

export const driveStatusJson = (current: CurrentTape | null): string =>
  JSON.stringify(
    { current_tape: current === null ? null : { name: current.name, pos: current.pos } },
    null,
    2
  )

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'

/** The drive's state; a directory without `drive-status.json` has an empty drive (as PBS). */
export async function readDriveStatus(dir: string): Promise<CurrentTape | null> {
  const path = join(dir, DRIVE_STATUS_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (isMissing(err)) return null
    throw err
  }
  const damaged = () =>
    new Error(`${path} is damaged (expected {"current_tape": {"name": …, "pos": N} | null})`)
  let value: { current_tape?: unknown }
  try {
    value = JSON.parse(text) as { current_tape?: unknown }
  } catch {
    throw damaged()
  }
  const current = value?.current_tape as { name?: unknown; pos?: unknown } | null | undefined
  if (current === null || current === undefined) return null
  if (typeof current.name !== 'string' || !Number.isSafeInteger(current.pos)) throw damaged()
  if ((current.pos as number) < 0) throw damaged()
  return { name: current.name, pos: current.pos as number }
}

export async function writeDriveStatus(dir: string, current: CurrentTape | null): Promise<void> {
  await writeFileAtomic(join(dir, DRIVE_STATUS_FILE), driveStatusJson(current))
}

/** Number of files on tape `label` (PBS: an empty index file counts as 0; a missing one is no tape). */
export async function readTapeFiles(dir: string, label: string): Promise<number> {
  const path = tapeIndexPath(dir, label)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (isMissing(err)) {
      throw new Error(`virtual tape '${label}' does not exist (no ${path})`, { cause: err })
    }
    throw err
  }
  if (text.length === 0) return 0
  let files: unknown
  try {
    files = (JSON.parse(text) as { files?: unknown }).files
  } catch {
    files = undefined
  }
  if (!Number.isSafeInteger(files) || (files as number) < 0) {
    throw new Error(`${path} is damaged (expected {"files": N})`)
  }
  return files as number
}

export { writeTapeIndex }

/** Whether tape `label` exists in the directory. */
export async function tapeExists(dir: string, label: string): Promise<boolean> {
  return stat(tapeIndexPath(dir, label)).then(
    (s) => s.isFile(),
    () => false
  )
}

/**
 * Labels of all tapes in the directory (every `tape-<label>.json`), sorted so that slot numbers
 * stay put between calls (PBS takes the directory order, which is not stable).
 */
export async function listTapeLabels(dir: string): Promise<string[]> {
  const labels: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const match = TAPE_INDEX.exec(entry.name)
    if (match && entry.isFile()) labels.push(match[1]!)
  }
  return labels.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Deletes tape files `from` … `to - 1` of `label` (PBS `truncate_tape`; missing ones are fine). */
export async function removeTapeFiles(
  dir: string,
  label: string,
  from: number,
  to: number
): Promise<void> {
  for (let n = from; n < to; n++) await unlink(tapeFilePath(dir, label, n)).catch(() => undefined)
}
