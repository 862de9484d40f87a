/** Display helpers of the Keys view: short fingerprints and an honest password strength estimate. */

/** `aa:bb:cc:dd:…:ee:ff` → the first 4 and last 2 bytes, enough to tell keys apart at a glance. */
export function shortFingerprint(fp: string): string {
  const bytes = fp.split(':')
  return bytes.length > 8 ? `${bytes.slice(0, 4).join(':')}…${bytes.slice(-2).join(':')}` : fp
}

/** PBS refuses passwords shorter than this many bytes (UTF-8). */
export const MIN_PASSWORD_BYTES = 5
/** Below this many characters the meter warns even when the classes are mixed. */
export const RECOMMENDED_LENGTH = 12

export type StrengthLevel = 'too-short' | 'weak' | 'fair' | 'strong'

export interface PasswordStrength {
  level: StrengthLevel
  /** upper bound of the entropy in bits, assuming characters chosen at random */
  bits: number
  bytes: number
  /** what would make it better, shortest first */
  advice: string | null
}

/**
 * Length × log2(alphabet) over the character classes used. This is an upper bound: words, names
 * and keyboard patterns are far weaker than random characters, so the meter says so.
 */
export function passwordStrength(password: string): PasswordStrength {
  const bytes = new TextEncoder().encode(password).length
  const chars = [...password]
  let alphabet = 0
  if (/[a-z]/.test(password)) alphabet += 26
  if (/[A-Z]/.test(password)) alphabet += 26
  if (/[0-9]/.test(password)) alphabet += 10
  if (/[ -/:-@[-`{-~]/.test(password)) alphabet += 33
  if (/[^\x20-\x7e]/.test(password)) alphabet += 100
  // a character repeated over and over adds (almost) nothing
  const distinct = new Set(chars).size
  const effective = Math.min(chars.length, distinct * 2)
  const bits = alphabet > 0 ? Math.round(effective * Math.log2(alphabet)) : 0

  if (bytes < MIN_PASSWORD_BYTES) {
    return {
      level: 'too-short',
      bits,
      bytes,
      advice: `At least ${MIN_PASSWORD_BYTES} bytes are required.`
    }
  }
  let level: StrengthLevel = bits >= 80 ? 'strong' : bits >= 50 ? 'fair' : 'weak'
  if (chars.length < RECOMMENDED_LENGTH) level = 'weak'
  const advice =
    chars.length < RECOMMENDED_LENGTH
      ? `Shorter than ${RECOMMENDED_LENGTH} characters: anyone holding a tape can try passwords offline.`
      : level === 'strong'
        ? null
        : 'Make it longer — several unrelated words work well.'
  return { level, bits, bytes, advice }
}
