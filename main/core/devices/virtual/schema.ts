/**
 * `library.json`: the state of a virtual tape library beside the PBS virtual-tape files.
 *
 * The tape *content* lives in the PBS layout (`tape-<label>.json`, `tapefile-<n>-<label>.json`) and
 * those files are authoritative for it; `library.json` holds everything PBS has no file for: where
 * each cartridge sits, what each drive is doing, cartridge facts, injected faults and the timing
 * model. Keys are kebab-case like the rest of Tapedeck's JSON. Any change that is not backwards
 * compatible bumps `version`; readers refuse versions they do not know rather than guess.
 */
import { z } from 'zod'
import { isTapeAlertFlag } from '../tape-alert'

export const LIBRARY_FILE = 'library.json'
export const LIBRARY_LOCK_FILE = '.library.lck'
export const LIBRARY_FORMAT = 'tapedeck-virtual-library'
export const LIBRARY_VERSION = 1

const count = z.number().int().min(0)
const label = z.string().regex(/^[A-Z0-9]{1,16}$/, 'barcode must be 1-16 letters or digits')

const Position = z.strictObject({ file: count, block: count })

const DriveState = z.strictObject({
  /** Cartridge in the drive element (threaded or waiting in the throat), or null. */
  tape: label.nullable(),
  /** Slot the cartridge was loaded from (SMC "source element"). */
  'source-slot': z.number().int().min(1).nullable(),
  /** Threaded and ready for I/O; false after eject or a cleaning cycle (cartridge in the throat). */
  loaded: z.boolean(),
  /** Last persisted position; null when unloaded or when the position was lost (power cut). */
  position: Position.nullable(),
  /** +1 on every load/unload/eject, so open drive handles notice the medium changed. */
  'mount-id': count,
  /** Flags the drive raised itself (EXPIRED_CLEANING_MEDIA, …); cleared by the next load. */
  'alert-flags': z.array(z.string().refine(isTapeAlertFlag, 'unknown TapeAlert flag')),
  /**
   * Set while a drive handle has a tape file open for writing: the robot then refuses to take the
   * cartridge (PREVENT MEDIUM REMOVAL). A writer whose process died no longer counts.
   */
  writer: z.strictObject({ pid: z.number().int(), host: z.string() }).nullable()
})

const SlotState = z.strictObject({ tape: label.nullable() })

/** How a cartridge was used: bytes through the head and unrecovered errors (injected faults). */
const UsageCounters = z.strictObject({
  'bytes-written': count,
  'bytes-read': count,
  'write-errors': count,
  'read-errors': count
})

const CartridgeState = z.strictObject({
  /** LTO media id from the barcode's last two characters (L5…L9, M8; CU = cleaning). */
  'media-type': z.string(),
  /** Native capacity in bytes (0 for cleaning cartridges). */
  capacity: count,
  'write-protect': z.boolean(),
  /** Cached from the tape files at the last persist (files and bytes are authoritative). */
  files: count,
  'bytes-used': count,
  /** The last tape file when it has no filemark yet (being written, or cut by a power loss). */
  'open-file': count.nullable(),
  mounts: count,
  /** End-to-end passes, counted as rewinds from a position past the beginning of tape. */
  passes: count,
  /** Over the cartridge's life and since it was last threaded (absent in older files: none yet). */
  lifetime: UsageCounters.optional(),
  'last-mount': UsageCounters.optional(),
  'cleaning-uses-left': count.optional()
})

const tape = label
const readError = z.strictObject({ kind: z.literal('read-error'), tape, file: count, block: count })
const writeError = z.strictObject({
  kind: z.literal('write-error'),
  tape,
  file: count,
  block: count
})
const powerCut = z.strictObject({ kind: z.literal('power-cut'), tape, file: count, block: count })
const earlyWarning = z.strictObject({ kind: z.literal('early-warning'), tape, bytes: count })
const tapeAlert = z.strictObject({
  kind: z.literal('tape-alert'),
  drive: count,
  flags: z
    .array(
      z.string().refine(isTapeAlertFlag, {
        error: (issue) => `unknown TapeAlert flag ${String(issue.input)}`
      })
    )
    .min(1)
})
const cleaningRequest = z.strictObject({ kind: z.literal('cleaning-request'), drive: count })

export const FaultSpec = z.discriminatedUnion('kind', [
  readError,
  writeError,
  powerCut,
  earlyWarning,
  tapeAlert,
  cleaningRequest
])
const id = { id: z.number().int().min(1) }
export const FaultEntry = z.discriminatedUnion('kind', [
  readError.extend(id),
  writeError.extend(id),
  powerCut.extend(id),
  earlyWarning.extend(id),
  tapeAlert.extend(id),
  cleaningRequest.extend(id)
])

const TimingState = z.strictObject({
  'load-seconds': z.number().min(0),
  'rewind-seconds': z.number().min(0),
  'locate-seconds-per-gib': z.number().min(0),
  /** 0 = unlimited. */
  'speed-bytes-per-second': z.number().min(0)
})

export const LibraryStateSchema = z.strictObject({
  format: z.literal(LIBRARY_FORMAT),
  version: z.literal(LIBRARY_VERSION),
  /** +1 on every write (diagnostics; handles detect changes by inode and mtime). */
  generation: count,
  created: z.string(),
  drives: z.array(DriveState).min(1),
  slots: z.array(SlotState).min(1),
  'import-export': z.array(SlotState),
  cartridges: z.record(label, CartridgeState),
  faults: z.array(FaultEntry),
  'next-fault-id': z.number().int().min(1),
  timing: TimingState.nullable()
})

export const FaultSpecSchema = FaultSpec

export type LibraryState = z.infer<typeof LibraryStateSchema>
export type DriveState = z.infer<typeof DriveState>
export type SlotState = z.infer<typeof SlotState>
export type CartridgeState = z.infer<typeof CartridgeState>
export type UsageCounters = z.infer<typeof UsageCounters>
export type TimingState = z.infer<typeof TimingState>
/** A fault to inject (see faults.ts for what each kind does). */
export type Fault = z.infer<typeof FaultSpec>
export type FaultKind = Fault['kind']
/** An injected fault as stored, with the id `clearFaults` can name. */
export type FaultEntry = z.infer<typeof FaultEntry>

export class LibraryStateError extends Error {
  override readonly name: string = 'LibraryStateError'
}

/** Parses and checks library.json, including the cross-references zod cannot express. */
export function parseLibraryState(text: string, path: string): LibraryState {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new LibraryStateError(`${path} is damaged (not JSON: ${(err as Error).message})`)
  }
  const head = raw as { format?: unknown; version?: unknown } | null
  if (head?.format !== LIBRARY_FORMAT) {
    throw new LibraryStateError(`${path} is not a Tapedeck virtual library file`)
  }
  if (typeof head.version === 'number' && head.version > LIBRARY_VERSION) {
    throw new LibraryStateError(
      `${path} has format version ${head.version}; this Tapedeck understands up to ${LIBRARY_VERSION}`
    )
  }
  const parsed = LibraryStateSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new LibraryStateError(
      `${path} is damaged: ${issue.path.join('.') || '(top)'}: ${issue.message}`
    )
  }
  checkConsistency(parsed.data, path)
  return parsed.data as LibraryState
}

/** Every cartridge is in exactly one place, and every place holds a known cartridge. */
function checkConsistency(s: LibraryState, path: string): void {
  const seen = new Map<string, string>()
  const place = (tape: string | null, where: string) => {
    if (tape === null) return
    if (!s.cartridges[tape]) throw new LibraryStateError(`${path}: ${where} holds unknown ${tape}`)
    const other = seen.get(tape)
    if (other) throw new LibraryStateError(`${path}: ${tape} is both in ${other} and ${where}`)
    seen.set(tape, where)
  }
  s.drives.forEach((d, i) => place(d.tape, `drive ${i}`))
  s.slots.forEach((sl, i) => place(sl.tape, `slot ${i + 1}`))
  s['import-export'].forEach((sl, i) => place(sl.tape, `slot ${s.slots.length + i + 1}`))
  for (const tape of Object.keys(s.cartridges)) {
    if (!seen.has(tape)) throw new LibraryStateError(`${path}: ${tape} is nowhere in the library`)
  }
}

export const serializeLibraryState = (s: LibraryState): string => JSON.stringify(s, null, 2) + '\n'
