import { ref } from 'vue'
import { ApiCallError, errorMessage } from '@/api/errors'

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Places a server error next to the field it is about. The core's messages name the field
 * ("allocation: …", "pool name must …", "changer 'x' does not exist"); `aliases` maps each form
 * field to the words that name it (the API key first). Returns null when no field is named (the
 * message then goes on the form as a whole).
 */
export function fieldOfMessage(message: string, aliases: Record<string, string[]>): string | null {
  const lower = message.toLowerCase()
  // argument validation: "<key>: <message>" — the key is exact
  const keyed = /^([a-z0-9_.-]+): /.exec(lower)
  if (keyed) {
    for (const [field, words] of Object.entries(aliases)) {
      if (words.some((w) => w.toLowerCase() === keyed[1])) return field
    }
  }
  // otherwise the earliest word naming a field wins; at the same place, the longest
  let best: { field: string; at: number; len: number } | null = null
  for (const [field, words] of Object.entries(aliases)) {
    for (const word of words) {
      const w = word.toLowerCase()
      const re = new RegExp(`(^|[\\s'"\`(\\[])${escapeRe(w)}(?=$|[\\s'"\`:,.)\\]])`)
      const m = re.exec(lower)
      if (!m) continue
      const at = m.index + m[1]!.length
      if (!best || at < best.at || (at === best.at && w.length > best.len)) {
        best = { field, at, len: w.length }
      }
    }
  }
  return best?.field ?? null
}

const ARGS_PREFIX = /^invalid arguments for [\w.]+: /

/** Splits a server message into the separate problems it reports. */
export function splitIssues(message: string): string[] {
  if (!ARGS_PREFIX.test(message)) return [message]
  return message.replace(ARGS_PREFIX, '').split('; ')
}

/** Error state of one form: per-field server messages plus one form-level message. */
export function useFormErrors<F extends string>(aliases: Record<F, string[]>) {
  const fields = ref<Partial<Record<F, string>>>({})
  const form = ref<string | null>(null)
  /** set when the server reported that the file changed since we read it */
  const conflict = ref(false)

  function clear(): void {
    fields.value = {}
    form.value = null
    conflict.value = false
  }

  function clearField(field: F): void {
    if (fields.value[field] !== undefined) {
      const next = { ...fields.value }
      delete next[field]
      fields.value = next
    }
  }

  function show(err: unknown): void {
    const message = errorMessage(err)
    if (err instanceof ApiCallError && err.code === 'conflict') {
      conflict.value = true
      form.value = `${message}. Reload shows the current values (your unsaved edits here are discarded).`
      return
    }
    const unplaced: string[] = []
    const next = { ...fields.value }
    for (const issue of splitIssues(message)) {
      const field = fieldOfMessage(issue, aliases as Record<string, string[]>) as F | null
      // "name: pool name must …" reads better under the field without the key
      if (field && next[field] === undefined) next[field] = issue.replace(/^[a-z0-9_.-]+: /i, '')
      else unplaced.push(issue)
    }
    fields.value = next
    if (unplaced.length) form.value = unplaced.join('; ')
  }

  /** Vuetify `error-messages` value for one field. */
  function of(field: F): string[] {
    const m = fields.value[field]
    return m === undefined ? [] : [m]
  }

  return { fields, form, conflict, clear, clearField, show, of }
}

/** Trimmed text, or undefined when empty. */
export function optText(value: string | null | undefined): string | undefined {
  const t = (value ?? '').trim()
  return t === '' ? undefined : t
}

/**
 * The update to send for an edited section: only changed fields, and the names of fields that
 * were cleared (to go into `delete`).
 */
export function diffFields<K extends string>(
  original: Partial<Record<K, unknown>>,
  edited: Partial<Record<K, unknown>>,
  keys: readonly K[]
): { changed: Partial<Record<K, unknown>>; cleared: K[] } {
  const changed: Partial<Record<K, unknown>> = {}
  const cleared: K[] = []
  for (const k of keys) {
    const before = original[k]
    const after = edited[k]
    if (after === undefined) {
      if (before !== undefined) cleared.push(k)
    } else if (after !== before) {
      changed[k] = after
    }
  }
  return { changed, cleared }
}
