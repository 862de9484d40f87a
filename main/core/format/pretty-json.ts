import { FormatError } from './format-error'

/**
 * JSON text exactly as serde_json's `to_string_pretty` prints it: 2-space indent, `": "` between
 * key and value, `{}`/`[]` for empty containers, no trailing newline, non-ASCII written as UTF-8
 * and control characters escaped the same way. `JSON.stringify(v, null, 2)` already matches that
 * byte for byte; what differs is key order, which the caller chooses:
 *  - PBS serialises labels through `serde_json::Value`, whose map is sorted → `sortKeys: true`;
 *  - archive headers are serialised straight from structs → keys in struct order, as given.
 */
export function prettyJson(value: unknown, options: { sortKeys: boolean }): string {
  return JSON.stringify(options.sortKeys ? sortKeysDeep(value) : value, null, 2)
}

/** Sorted by UTF-8 bytes like serde_json's BTreeMap; `undefined` members are dropped. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep)
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort(compareUtf8)) {
      if (value[key] !== undefined) out[key] = sortKeysDeep(value[key])
    }
    return out
  }
  return value
}

const compareUtf8 = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

const encoder = new TextEncoder()
export const utf8 = (text: string): Uint8Array => encoder.encode(text)

/** Strict UTF-8 decoding (a BOM is kept and then fails JSON parsing, as in serde_json). */
export function decodeUtf8(data: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data)
  } catch {
    throw new FormatError(`${what} is not valid UTF-8`)
  }
}

/** Parses header JSON; any failure becomes one FormatError naming `what`. */
export function parseJsonBytes(data: Uint8Array, what: string): unknown {
  const text = decodeUtf8(data, what)
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new FormatError(`unable to parse ${what} - ${(err as Error).message}`)
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
