/**
 * Fault injection. Faults live in library.json, so a test, the UI or `tapedeck vlib fault …` in
 * another process can set them and every drive handle picks them up (at its next command, at the
 * start of each tape file, and every few MiB while streaming).
 *
 * Kinds (tape faults follow the cartridge, wherever it is loaded):
 * - `read-error` {tape, file, block}: reading that block fails (medium error 03/11/00) every time;
 *   the drive moves past it, so the rest of the file and the tape stay readable.
 * - `write-error` {tape, file, block}: writing that block fails (medium error 03/0C/00) and stores
 *   nothing; blocks before it stay, and a filemark can still close the file.
 * - `power-cut` {tape, file, block}: the drive loses power just before that block: blocks before it
 *   stay, no end-of-stream block and no filemark follow, the position is lost. Fires once.
 * - `early-warning` {tape, bytes}: writes report LEOM once the tape holds `bytes` or more.
 * - `tape-alert` {drive, flags}: the drive reports these TapeAlert flags until cleared
 *   (CLEAN_NOW/CLEAN_PERIODIC also clear when the drive is cleaned).
 * - `cleaning-request` {drive}: the drive asks for cleaning (CLEAN_NOW) until it is cleaned.
 */
import type { LibraryStore } from './store'
import { type Fault, type FaultEntry, type FaultKind, FaultSpecSchema } from './schema'
import type { LibraryState } from './schema'

export interface FaultFilter {
  id?: number
  kind?: FaultKind
  tape?: string
  drive?: number
}

/** Checks a fault against the library (known tape, existing drive) and normalises it. */
export function checkFault(state: LibraryState, fault: Fault): Fault {
  const parsed = FaultSpecSchema.safeParse(fault)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`invalid fault: ${issue.path.join('.') || 'kind'}: ${issue.message}`)
  }
  const f = parsed.data
  if ('tape' in f && !state.cartridges[f.tape]) {
    throw new Error(`invalid fault: no cartridge ${f.tape} in this library`)
  }
  if ('drive' in f && f.drive >= state.drives.length) {
    throw new Error(
      `invalid fault: no drive ${f.drive} (drives are numbered 0-${state.drives.length - 1})`
    )
  }
  if (f.kind === 'tape-alert') return { ...f, flags: [...new Set(f.flags)] }
  return f
}

export const faultMatches = (f: FaultEntry, filter: FaultFilter): boolean =>
  (filter.id === undefined || f.id === filter.id) &&
  (filter.kind === undefined || f.kind === filter.kind) &&
  (filter.tape === undefined || ('tape' in f && f.tape === filter.tape)) &&
  (filter.drive === undefined || ('drive' in f && f.drive === filter.drive))

export async function addFault(store: LibraryStore, fault: Fault): Promise<FaultEntry> {
  return store.update((state) => {
    const entry = { id: state['next-fault-id'], ...checkFault(state, fault) } as FaultEntry
    state['next-fault-id']++
    state.faults.push(entry)
    return entry
  })
}

/** Removes the faults matching `filter` (all without one); returns the removed entries. */
export async function removeFaults(
  store: LibraryStore,
  filter: FaultFilter = {}
): Promise<FaultEntry[]> {
  return store.update((state) => {
    const removed = state.faults.filter((f) => faultMatches(f, filter))
    state.faults = state.faults.filter((f) => !faultMatches(f, filter))
    return removed
  })
}

export function describeFault(f: FaultEntry): string {
  switch (f.kind) {
    case 'read-error':
    case 'write-error':
    case 'power-cut':
      return `#${f.id} ${f.kind} on ${f.tape} file ${f.file} block ${f.block}`
    case 'early-warning':
      return `#${f.id} early warning on ${f.tape} at ${f.bytes} bytes`
    case 'tape-alert':
      return `#${f.id} TapeAlert ${f.flags.join(',')} on drive ${f.drive}`
    case 'cleaning-request':
      return `#${f.id} cleaning request on drive ${f.drive}`
  }
}

/**
 * The faults that concern one cartridge, indexed for the drive's hot path (one map lookup per
 * block instead of a scan of the fault list).
 */
export class TapeFaults {
  readonly readErrors = new Map<string, number>()
  readonly writeErrors = new Map<string, number>()
  readonly powerCuts = new Map<string, number>()
  /** LEOM from this many bytes used (Infinity = no early-warning fault). */
  earlyWarningAt = Infinity

  constructor(state: LibraryState, tape: string) {
    for (const f of state.faults) {
      if (!('tape' in f) || f.tape !== tape) continue
      if (f.kind === 'early-warning') {
        this.earlyWarningAt = Math.min(this.earlyWarningAt, f.bytes)
        continue
      }
      const map =
        f.kind === 'read-error'
          ? this.readErrors
          : f.kind === 'write-error'
            ? this.writeErrors
            : this.powerCuts
      const key = TapeFaults.key(f.file, f.block)
      if (!map.has(key)) map.set(key, f.id)
    }
  }

  get empty(): boolean {
    return (
      this.readErrors.size === 0 &&
      this.writeErrors.size === 0 &&
      this.powerCuts.size === 0 &&
      this.earlyWarningAt === Infinity
    )
  }

  static key = (file: number, block: number): string => `${file}:${block}`
}
