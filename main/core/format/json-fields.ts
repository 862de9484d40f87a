import { FormatError } from './format-error'
import { isPlainObject } from './pretty-json'

/**
 * Typed access to fields of parsed header JSON. Like serde's derive, unknown fields are ignored and
 * a `null` optional counts as absent, but a present field of the wrong type is an error.
 */
export class JsonFields {
  private readonly obj: Record<string, unknown>

  constructor(
    value: unknown,
    private readonly what: string
  ) {
    if (!isPlainObject(value)) throw new FormatError(`${what}: expected a JSON object`)
    this.obj = value
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null
  }

  string(key: string): string {
    const v = this.obj[key]
    if (typeof v !== 'string') throw this.bad(key, 'a string')
    return v
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined
  }

  /** i64 / u64 fields (JSON numbers beyond 2^53 cannot be represented and are rejected). */
  integer(key: string, min = Number.MIN_SAFE_INTEGER): number {
    const v = this.obj[key]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw this.bad(key, min >= 0 ? 'an unsigned integer' : 'an integer')
    }
    return v
  }

  private bad(key: string, expected: string): FormatError {
    const v = this.obj[key]
    return new FormatError(
      v === undefined
        ? `${this.what}: missing field "${key}"`
        : `${this.what}: field "${key}" must be ${expected}, got ${JSON.stringify(v)}`
    )
  }
}
