/**
 * The PBS `KeyConfig` (pbs-key-config): a 32-byte key wrapped with AES-256-GCM under a key derived
 * from a password by scrypt or PBKDF2. The same JSON is what PBS stores in
 * `tape-encryption-key-config.json`, embeds in every encrypted tape's media-set label and prints on a
 * paper key, so the field names, encodings and algorithms here must match PBS byte for byte.
 */
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes, scrypt } from 'node:crypto'
import { promisify } from 'node:util'
import { z } from 'zod'
import { ApiError, invalidArgument } from '../api/errors'
import { formatIso } from '../util/time'
import { CryptConfig, IV_LENGTH, KEY_LENGTH, TAG_LENGTH, formatFingerprint } from './crypt-config'

const pbkdf2Async = promisify(pbkdf2)

/** PBS defaults (pbs-key-config `Kdf::default` and `KeyConfig::with_key`). */
export const SCRYPT_DEFAULT = { n: 65536, r: 8, p: 1 } as const
export const PBKDF2_DEFAULT_ITER = 65535
const SALT_LENGTH = 32
/** PBS passes a 1025 MiB memory limit to scrypt; configs needing more are refused, as PBS does. */
const SCRYPT_MAXMEM = 1025 * 1024 * 1024
/** PBS refuses shorter passphrases both when wrapping and when unwrapping. */
export const MIN_PASSPHRASE_BYTES = 5

export type KdfName = 'scrypt' | 'pbkdf2' | 'none'

const FINGERPRINT_RE = /^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

const base64 = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, `${what} must be base64`)
    .refine((s) => s.length % 4 === 0, `${what} must be base64 (length not a multiple of 4)`)

const rfc3339 = (what: string) =>
  z
    .string()
    .regex(RFC3339_RE, `${what} must be an RFC 3339 time such as 2021-01-23T14:47:21+01:00`)
    .refine((s) => !Number.isNaN(Date.parse(s)), `${what} is not a valid date`)

const positiveInt = z.number().int().positive()

export const ScryptKdf = z.strictObject({
  Scrypt: z.strictObject({
    n: positiveInt.refine((n) => n > 1 && (n & (n - 1)) === 0, 'scrypt n must be a power of 2'),
    r: positiveInt,
    p: positiveInt,
    salt: base64('scrypt salt')
  })
})

export const Pbkdf2Kdf = z.strictObject({
  PBKDF2: z.strictObject({ iter: positiveInt, salt: base64('PBKDF2 salt') })
})

export const Fingerprint = z
  .string()
  .regex(FINGERPRINT_RE, 'fingerprint must be 32 hex bytes separated by colons')
  .transform((s) => s.toLowerCase())

/** KeyConfig as PBS serialises it; `fingerprint` and `hint` may be absent in old files. */
export const KeyConfigSchema = z.object({
  kdf: z.union([ScryptKdf, Pbkdf2Kdf]).nullable(),
  created: rfc3339('created'),
  modified: rfc3339('modified'),
  data: base64('data'),
  fingerprint: Fingerprint.optional(),
  hint: z.string().optional()
})

export type KeyConfig = z.output<typeof KeyConfigSchema>

export function kdfName(config: KeyConfig): KdfName {
  if (config.kdf === null) return 'none'
  return 'Scrypt' in config.kdf ? 'scrypt' : 'pbkdf2'
}

/** Validate untrusted JSON (a file, a tape label, an API argument) into a KeyConfig. */
export function parseKeyConfig(value: unknown, source = 'key config'): KeyConfig {
  const parsed = KeyConfigSchema.safeParse(value)
  if (!parsed.success) {
    const why = parsed.error.issues
      .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ')
    throw invalidArgument(`${source} is not a valid PBS key config: ${why}`)
  }
  return parsed.data
}

/** Parse JSON text into a KeyConfig with an error that says which of the two went wrong. */
export function parseKeyConfigJson(text: string, source = 'key config'): KeyConfig {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw invalidArgument(`${source} is not JSON: ${(err as Error).message}`)
  }
  return parseKeyConfig(value, source)
}

/** Field order as PBS writes it, so our files diff cleanly against PBS's. */
export function serializeKeyConfig(config: KeyConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kdf: config.kdf,
    created: config.created,
    modified: config.modified,
    data: config.data
  }
  if (config.fingerprint !== undefined) out.fingerprint = config.fingerprint
  if (config.hint !== undefined) out.hint = config.hint
  return out
}

export function keyFingerprint(key: Uint8Array): string {
  return formatFingerprint(new CryptConfig(key).fingerprint())
}

function passwordBytes(password: string | Uint8Array): Buffer {
  return typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password)
}

function checkPassphrase(password: Buffer): void {
  if (password.length < MIN_PASSPHRASE_BYTES) {
    throw invalidArgument(
      `passphrase is too short (at least ${MIN_PASSPHRASE_BYTES} bytes are required)`
    )
  }
}

function scryptAsync(
  password: Buffer,
  salt: Buffer,
  params: { n: number; r: number; p: number }
): Promise<Buffer> {
  // 128·N·r bytes of working memory; Node's default maxmem (32 MiB) is too small for N=65536, r=8.
  if (128 * params.n * params.r * params.p > SCRYPT_MAXMEM) {
    throw invalidArgument(
      `scrypt parameters n=${params.n} r=${params.r} p=${params.p} need more memory than allowed`
    )
  }
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      salt,
      KEY_LENGTH,
      { N: params.n, r: params.r, p: params.p, maxmem: SCRYPT_MAXMEM },
      (err, key) => (err ? reject(err) : resolve(key))
    )
  )
}

/** The key-encryption key for a KDF config (async: scrypt takes ~0.3 s and 64 MiB). */
async function deriveKek(kdf: NonNullable<KeyConfig['kdf']>, password: Buffer): Promise<Buffer> {
  if ('Scrypt' in kdf) {
    const { n, r, p, salt } = kdf.Scrypt
    return scryptAsync(password, Buffer.from(salt, 'base64'), { n, r, p })
  }
  const { iter, salt } = kdf.PBKDF2
  return pbkdf2Async(password, Buffer.from(salt, 'base64'), iter, KEY_LENGTH, 'sha256')
}

function newKdf(kind: 'scrypt' | 'pbkdf2'): NonNullable<KeyConfig['kdf']> {
  const salt = randomBytes(SALT_LENGTH).toString('base64')
  return kind === 'scrypt'
    ? { Scrypt: { ...SCRYPT_DEFAULT, salt } }
    : { PBKDF2: { iter: PBKDF2_DEFAULT_ITER, salt } }
}

export interface WrapOptions {
  password: string | Uint8Array
  kdf?: 'scrypt' | 'pbkdf2'
  hint?: string
  /** Keep the original creation time when re-wrapping (change passphrase). */
  created?: string
  /** For tests: the time written as created/modified. */
  now?: Date
}

/** Wrap a plain 32-byte key into a password-protected KeyConfig (PBS `KeyConfig::with_key`). */
export async function createKeyConfig(key: Uint8Array, options: WrapOptions): Promise<KeyConfig> {
  if (key.length !== KEY_LENGTH) throw invalidArgument(`a key must be ${KEY_LENGTH} bytes`)
  const password = passwordBytes(options.password)
  checkPassphrase(password)
  const kdf = newKdf(options.kdf ?? 'scrypt')
  const kek = await deriveKek(kdf, password)
  const iv = randomBytes(IV_LENGTH)
  const cipher = createCipheriv('aes-256-gcm', kek, iv)
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()])
  const data = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')
  const now = formatIso(Math.floor((options.now ?? new Date()).getTime() / 1000))
  const config: KeyConfig = {
    kdf,
    created: options.created ?? now,
    modified: now,
    data,
    fingerprint: keyFingerprint(key)
  }
  if (options.hint !== undefined) config.hint = options.hint
  return config
}

/** Thrown when the password does not open the key; names the fingerprint and the hint. */
export class WrongPasswordError extends ApiError {
  constructor(
    readonly fingerprint: string | undefined,
    readonly hint: string | undefined
  ) {
    super(
      'invalid-argument',
      `unable to decrypt key ${fingerprint ?? '(no fingerprint stored)'}: wrong password` +
        (hint !== undefined ? ` (password hint: ${hint})` : '')
    )
    this.name = 'WrongPasswordError'
  }
}

/**
 * Unwrap the plain key (PBS `KeyConfig::decrypt`) and check it against the stored fingerprint.
 * `password` may be omitted only for an unprotected config (`kdf: null`).
 */
export async function decryptKeyConfig(
  config: KeyConfig,
  password?: string | Uint8Array
): Promise<{ key: Buffer; fingerprint: string }> {
  const raw = Buffer.from(config.data, 'base64')
  let key: Buffer
  if (config.kdf === null) {
    key = raw
  } else {
    if (password === undefined) {
      throw invalidArgument(`key ${config.fingerprint ?? ''} is password protected`.trim())
    }
    const pw = passwordBytes(password)
    checkPassphrase(pw)
    if (raw.length < IV_LENGTH + TAG_LENGTH) {
      throw invalidArgument('key config data is too short to hold a wrapped key')
    }
    const kek = await deriveKek(config.kdf, pw)
    const decipher = createDecipheriv('aes-256-gcm', kek, raw.subarray(0, IV_LENGTH))
    decipher.setAuthTag(raw.subarray(IV_LENGTH, IV_LENGTH + TAG_LENGTH))
    try {
      key = Buffer.concat([decipher.update(raw.subarray(IV_LENGTH + TAG_LENGTH)), decipher.final()])
    } catch {
      throw new WrongPasswordError(config.fingerprint, config.hint)
    }
  }
  if (key.length !== KEY_LENGTH) {
    throw invalidArgument(`key config holds a key of ${key.length} bytes, expected ${KEY_LENGTH}`)
  }
  const fingerprint = keyFingerprint(key)
  if (config.fingerprint !== undefined && config.fingerprint !== fingerprint) {
    throw invalidArgument(
      `key config claims fingerprint ${config.fingerprint} but the key it holds has ${fingerprint}`
    )
  }
  return { key, fingerprint }
}

/** Re-wrap under a new password (and possibly KDF and hint), keeping the creation time. */
export async function rewrapKeyConfig(
  config: KeyConfig,
  options: {
    password?: string | Uint8Array
    newPassword: string | Uint8Array
    hint?: string
    kdf?: 'scrypt' | 'pbkdf2'
  }
): Promise<KeyConfig> {
  const { key } = await decryptKeyConfig(config, options.password)
  return createKeyConfig(key, {
    password: options.newPassword,
    kdf: options.kdf,
    hint: options.hint ?? config.hint,
    created: config.created
  })
}
