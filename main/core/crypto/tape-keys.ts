/**
 * Tape encryption keys in the Tapedeck home, in PBS's two files (src/tape/encryption_keys.rs):
 *
 * - `tape-encryption-keys.json` (0600): `[{fingerprint, key}]`, the plain keys the drive needs;
 * - `tape-encryption-key-config.json` (0600): `[KeyConfig]`, the same keys wrapped by a password —
 *   what goes on tape and on paper.
 *
 * In the desktop app a third file, `tape-encryption-keys.sealed.json` (0600), holds plain keys
 * sealed by the platform's secret store (see key-sealer.ts) instead of the first file: new keys go
 * there when a sealer is available, and a key lives in exactly one of the two places.
 *
 * A PBS admin can copy both files in (and back). Every change happens under one lock and replaces
 * each file atomically; the order of the two writes is chosen so that an interruption leaves a
 * state `key restore` (import) repairs, never a plain key that nobody can print or recover.
 *
 * Plain keys leave this module only through `plainKey()`, which is for programming a drive; nothing
 * here logs, and no result type carries key material.
 */
import { randomBytes } from 'node:crypto'
import { chmod, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ApiError, invalidArgument, notFound } from '../api/errors'
import { ConfigFile } from '../config/config-file'
import { MEDIA_POOL_CFG_TYPES } from '../config/files'
import { writeFileAtomic } from '../util/atomic-write'
import { withFileLock } from '../util/file-lock'
import { KEY_LENGTH } from './crypt-config'
import type { KeySealer } from './key-sealer'
import {
  Fingerprint,
  KeyConfigSchema,
  createKeyConfig,
  decryptKeyConfig,
  kdfName,
  keyFingerprint,
  rewrapKeyConfig,
  serializeKeyConfig,
  type KeyConfig
} from './key-config'

export const PLAIN_KEYS_FILE = 'tape-encryption-keys.json'
export const KEY_CONFIGS_FILE = 'tape-encryption-key-config.json'
export const SEALED_KEYS_FILE = 'tape-encryption-keys.sealed.json'
const LOCK_FILE = '.tape-encryption-keys.lock'
const FILE_MODE = 0o600

export interface TapeKeyInfo {
  fingerprint: string
  hint: string
  kdf: 'scrypt' | 'pbkdf2' | 'none'
  created: string
  modified: string
  hasPlainKey: boolean
  /** Where the plain key is: the 0600 file, sealed to the desktop session, or nowhere. */
  storage: KeyStorage
}

export type KeyStorage = 'file' | 'sealed' | 'none'

/** PBS's hint limit for tape keys (1–32 characters). */
export const HINT_MAX = 32

const PlainKeyEntry = z.strictObject({
  fingerprint: Fingerprint,
  key: z.string().regex(/^[0-9a-fA-F]{64}$/, 'key must be 64 hex digits')
})

interface PlainKey {
  fingerprint: string
  key: Buffer
}

const SealedKeyEntry = z.strictObject({
  fingerprint: Fingerprint,
  sealed: z.base64()
})

interface SealedKey {
  fingerprint: string
  sealed: Buffer
}

interface KeyFiles {
  plain: PlainKey[]
  sealed: SealedKey[]
  configs: KeyConfig[]
}

export function checkHint(hint: string): string {
  if (hint.length < 1 || hint.length > HINT_MAX) {
    throw invalidArgument(`password hint must be 1 to ${HINT_MAX} characters`)
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(hint)) throw invalidArgument('password hint must be a single line')
  return hint
}

const hexOf = (fingerprint: string) => fingerprint.replaceAll(':', '').toLowerCase()

export class TapeKeyStore {
  readonly plainPath: string
  readonly configPath: string
  readonly sealedPath: string
  private readonly lockPath: string

  constructor(
    private readonly home: string,
    private readonly sealer?: KeySealer
  ) {
    this.plainPath = join(home, PLAIN_KEYS_FILE)
    this.configPath = join(home, KEY_CONFIGS_FILE)
    this.sealedPath = join(home, SEALED_KEYS_FILE)
    this.lockPath = join(home, LOCK_FILE)
  }

  /** What seals keys in this process, if anything (the desktop app with a real secret store). */
  get sealing(): string | undefined {
    return this.sealer?.description
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private async readJsonArray(path: string): Promise<unknown[]> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    if (text.trim() === '') return []
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new ApiError('internal', `${path} is not valid JSON: ${(err as Error).message}`)
    }
    if (!Array.isArray(value)) throw new ApiError('internal', `${path} must hold a JSON array`)
    return value
  }

  private async readPlain(): Promise<PlainKey[]> {
    const entries = await this.readJsonArray(this.plainPath)
    if (entries.length > 0) await this.tightenMode(this.plainPath)
    const seen = new Set<string>()
    return entries.map((entry, i) => {
      const parsed = PlainKeyEntry.safeParse(entry)
      if (!parsed.success) {
        throw new ApiError(
          'internal',
          `${this.plainPath}: entry ${i + 1} is invalid: ${parsed.error.issues[0]?.message}`
        )
      }
      const key = Buffer.from(parsed.data.key, 'hex')
      // PBS recomputes on load: a wrong fingerprint means a damaged or tampered file, and a
      // drive programmed with the wrong key writes tapes nobody can read.
      const computed = keyFingerprint(key)
      if (computed !== parsed.data.fingerprint) {
        throw new ApiError(
          'internal',
          `${this.plainPath}: stored fingerprint ${parsed.data.fingerprint} does not match its key ` +
            `(computed ${computed}); the file is damaged`
        )
      }
      if (seen.has(computed)) {
        throw new ApiError('internal', `${this.plainPath}: key ${computed} is listed twice`)
      }
      seen.add(computed)
      return { fingerprint: computed, key }
    })
  }

  private async readSealed(): Promise<SealedKey[]> {
    const entries = await this.readJsonArray(this.sealedPath)
    return entries.map((entry, i) => {
      const parsed = SealedKeyEntry.safeParse(entry)
      if (!parsed.success) {
        throw new ApiError(
          'internal',
          `${this.sealedPath}: entry ${i + 1} is invalid: ${parsed.error.issues[0]?.message}`
        )
      }
      return {
        fingerprint: parsed.data.fingerprint,
        sealed: Buffer.from(parsed.data.sealed, 'base64')
      }
    })
  }

  /** Opens a sealed key and checks it is the key its entry names. */
  private openSealed(entry: SealedKey): Buffer {
    if (!this.sealer) {
      throw new ApiError(
        'conflict',
        `key ${entry.fingerprint} is sealed to the Tapedeck desktop app's session and cannot be ` +
          'used here; use it from the app, or make it available to the command line and ' +
          `scheduled jobs with \`tapedeck key unseal ${entry.fingerprint.slice(0, 23)}\``
      )
    }
    let key: Buffer
    try {
      key = this.sealer.open(entry.sealed)
    } catch (err) {
      throw new ApiError(
        'internal',
        `key ${entry.fingerprint} cannot be unsealed by ${this.sealer.description} ` +
          `(${(err as Error).message}); restore it from its paper key or a tape`
      )
    }
    if (key.length !== KEY_LENGTH || keyFingerprint(key) !== entry.fingerprint) {
      throw new ApiError(
        'internal',
        `${this.sealedPath}: the sealed key ${entry.fingerprint} does not match its fingerprint`
      )
    }
    return key
  }

  /**
   * A keys file copied in from elsewhere (a PBS host, a backup) may be group- or world-readable;
   * plain keys must not be, so take those bits away (best effort: the file may not be ours).
   */
  private async tightenMode(path: string): Promise<void> {
    const info = await stat(path).catch(() => undefined)
    if (info && (info.mode & 0o077) !== 0) await chmod(path, FILE_MODE).catch(() => undefined)
  }

  private async readConfigs(): Promise<KeyConfig[]> {
    const entries = await this.readJsonArray(this.configPath)
    const seen = new Set<string>()
    return entries.map((entry, i) => {
      const parsed = KeyConfigSchema.safeParse(entry)
      if (!parsed.success || parsed.data.fingerprint === undefined) {
        const why = parsed.success
          ? 'fingerprint missing'
          : parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')
        throw new ApiError('internal', `${this.configPath}: entry ${i + 1} is invalid: ${why}`)
      }
      if (seen.has(parsed.data.fingerprint)) {
        throw new ApiError(
          'internal',
          `${this.configPath}: key ${parsed.data.fingerprint} is listed twice`
        )
      }
      seen.add(parsed.data.fingerprint)
      return parsed.data
    })
  }

  private async readFiles(): Promise<KeyFiles> {
    return {
      plain: await this.readPlain(),
      sealed: await this.readSealed(),
      configs: await this.readConfigs()
    }
  }

  // -------------------------------------------------------------------------------------------
  // Writing (always under the lock, each file replaced atomically)

  private async writePlain(plain: PlainKey[]): Promise<void> {
    const json = plain.map((p) => ({ fingerprint: p.fingerprint, key: p.key.toString('hex') }))
    // The temp file is created 0600 before any byte is written, so no reader ever sees the keys.
    await writeFileAtomic(this.plainPath, JSON.stringify(json, null, 2) + '\n', FILE_MODE)
  }

  private async writeSealed(sealed: SealedKey[]): Promise<void> {
    const json = sealed.map((s) => ({
      fingerprint: s.fingerprint,
      sealed: s.sealed.toString('base64')
    }))
    await writeFileAtomic(this.sealedPath, JSON.stringify(json, null, 2) + '\n', FILE_MODE)
  }

  private async writeConfigs(configs: KeyConfig[]): Promise<void> {
    const json = configs.map(serializeKeyConfig)
    await writeFileAtomic(this.configPath, JSON.stringify(json, null, 2) + '\n', FILE_MODE)
  }

  private locked<T>(fn: (files: KeyFiles) => Promise<T>): Promise<T> {
    return withFileLock(this.lockPath, async () => fn(await this.readFiles()))
  }

  // -------------------------------------------------------------------------------------------
  // Lookup

  private allFingerprints(files: KeyFiles): string[] {
    const all = new Set([
      ...files.configs.map((c) => c.fingerprint!),
      ...files.plain.map((p) => p.fingerprint),
      ...files.sealed.map((s) => s.fingerprint)
    ])
    return [...all].sort()
  }

  /**
   * A full fingerprint or a unique prefix of one (`aa:bb:cc:dd:ee:ff:00:11`, the short form PBS
   * prints; colons optional). Throws not-found / invalid-argument (ambiguous).
   */
  private resolve(files: KeyFiles, fingerprint: string): string {
    const wanted = hexOf(fingerprint.trim())
    if (!/^[0-9a-f]+$/.test(wanted) || wanted.length > 64) {
      throw invalidArgument(`'${fingerprint}' is not a key fingerprint`)
    }
    const matches = this.allFingerprints(files).filter((fp) => hexOf(fp).startsWith(wanted))
    if (matches.length === 0) {
      throw notFound(`no tape encryption key with fingerprint ${fingerprint}`)
    }
    if (matches.length > 1) {
      throw invalidArgument(
        `fingerprint ${fingerprint} is ambiguous; it matches ${matches.join(', ')}`
      )
    }
    return matches[0]!
  }

  private info(files: KeyFiles, fingerprint: string): TapeKeyInfo {
    const config = files.configs.find((c) => c.fingerprint === fingerprint)
    const storage: KeyStorage = files.plain.some((p) => p.fingerprint === fingerprint)
      ? 'file'
      : files.sealed.some((s) => s.fingerprint === fingerprint)
        ? 'sealed'
        : 'none'
    return {
      fingerprint,
      hint: config?.hint ?? '',
      kdf: config ? kdfName(config) : 'none',
      created: config?.created ?? '',
      modified: config?.modified ?? '',
      hasPlainKey: storage !== 'none',
      storage
    }
  }

  /** Expand a full fingerprint or unique prefix to the full fingerprint. */
  async resolveFingerprint(fingerprint: string): Promise<string> {
    return this.resolve(await this.readFiles(), fingerprint)
  }

  async list(): Promise<TapeKeyInfo[]> {
    const files = await this.readFiles()
    return this.allFingerprints(files).map((fp) => this.info(files, fp))
  }

  async show(fingerprint: string): Promise<TapeKeyInfo> {
    const files = await this.readFiles()
    return this.info(files, this.resolve(files, fingerprint))
  }

  /**
   * The plain 32-byte key, for programming a drive only. Undefined when it is not stored; a
   * conflict error when it is sealed and this process cannot open it.
   */
  async plainKey(fingerprint: string): Promise<Buffer | undefined> {
    const files = await this.readFiles()
    const full = this.resolveIfKnown(files, fingerprint)
    const plain = files.plain.find((p) => p.fingerprint === full)
    if (plain) return plain.key
    const sealed = files.sealed.find((s) => s.fingerprint === full)
    return sealed ? this.openSealed(sealed) : undefined
  }

  async keyConfig(fingerprint: string): Promise<KeyConfig | undefined> {
    const files = await this.readFiles()
    const full = this.resolveIfKnown(files, fingerprint)
    return files.configs.find((c) => c.fingerprint === full)
  }

  /** Like `resolve`, but undefined for a key not in the store (an ambiguous prefix still throws). */
  private resolveIfKnown(files: KeyFiles, fingerprint: string): string | undefined {
    try {
      return this.resolve(files, fingerprint)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not-found') return undefined
      throw err
    }
  }

  // -------------------------------------------------------------------------------------------
  // Changes

  /**
   * Store a key and its config; config first, so an interrupted store is repaired by import. The
   * plain key is sealed when this process can seal, and kept in the 0600 file otherwise.
   */
  private async store(files: KeyFiles, key: Buffer, config: KeyConfig): Promise<void> {
    const fingerprint = config.fingerprint!
    if (!files.configs.some((c) => c.fingerprint === fingerprint)) {
      await this.writeConfigs([...files.configs, config])
    }
    if (this.info(files, fingerprint).storage !== 'none') return
    if (this.sealer) {
      await this.writeSealed([...files.sealed, { fingerprint, sealed: this.sealer.seal(key) }])
    } else {
      await this.writePlain([...files.plain, { fingerprint, key }])
    }
  }

  /**
   * Move a key's plain copy between the 0600 file (usable by the CLI and schedulers outside the
   * app) and the sealed file (only this desktop session). Sealing needs a sealer; taking a key out
   * of the seal without one needs the password, which unwraps the key config. Written new place
   * first: an interruption leaves the key in both places, never in neither.
   */
  async setStorage(
    fingerprint: string,
    storage: 'file' | 'sealed',
    password?: string
  ): Promise<TapeKeyInfo> {
    const files = await this.readFiles()
    const full = this.resolve(files, fingerprint)
    if (this.info(files, full).storage === storage) return this.info(files, full)
    if (storage === 'sealed' && !this.sealer) {
      throw invalidArgument(
        'keys can only be sealed in the Tapedeck desktop app, on a system with a secret store'
      )
    }
    const key = await this.plainKeyForMove(files, full, password)
    return this.locked(async (current) => {
      if (storage === 'sealed') {
        const sealed = current.sealed.filter((s) => s.fingerprint !== full)
        await this.writeSealed([...sealed, { fingerprint: full, sealed: this.sealer!.seal(key) }])
        await this.writePlain(current.plain.filter((p) => p.fingerprint !== full))
      } else {
        const plain = current.plain.filter((p) => p.fingerprint !== full)
        await this.writePlain([...plain, { fingerprint: full, key }])
        await this.writeSealed(current.sealed.filter((s) => s.fingerprint !== full))
      }
      return this.info(await this.readFiles(), full)
    })
  }

  private async plainKeyForMove(
    files: KeyFiles,
    fingerprint: string,
    password: string | undefined
  ): Promise<Buffer> {
    const plain = files.plain.find((p) => p.fingerprint === fingerprint)
    if (plain) return plain.key
    const sealed = files.sealed.find((s) => s.fingerprint === fingerprint)
    if (sealed && this.sealer) return this.openSealed(sealed)
    const config = files.configs.find((c) => c.fingerprint === fingerprint)
    if (!sealed || !config) {
      throw notFound(`key ${fingerprint} has no plain key stored; restore it with its password`)
    }
    if (password === undefined) {
      throw invalidArgument(
        `key ${fingerprint} is sealed to the desktop app; its password is needed to unseal it here`
      )
    }
    const { key } = await decryptKeyConfig(config, password)
    return key
  }

  async create(opts: {
    password: string
    hint: string
    kdf?: 'scrypt' | 'pbkdf2'
  }): Promise<TapeKeyInfo> {
    const hint = checkHint(opts.hint)
    const key = randomBytes(KEY_LENGTH)
    // The slow KDF runs outside the lock; a fresh random key cannot collide with a stored one.
    const config = await createKeyConfig(key, { password: opts.password, kdf: opts.kdf, hint })
    return this.locked(async (files) => {
      await this.store(files, key, config)
      return this.info(await this.readFiles(), config.fingerprint!)
    })
  }

  /**
   * Import a KeyConfig (from a tape, a file or a paper key): decrypt with the password, check the
   * fingerprint, store both copies. Importing a key that is already there fills in whichever copy
   * is missing and otherwise changes nothing.
   */
  async importKeyConfig(config: KeyConfig, password: string): Promise<TapeKeyInfo> {
    const { key, fingerprint } = await decryptKeyConfig(config, password)
    const complete: KeyConfig = { ...config, fingerprint }
    return this.locked(async (files) => {
      await this.store(files, key, complete)
      return this.info(await this.readFiles(), fingerprint)
    })
  }

  /**
   * Adopt a key copied from a PBS host's key files (`pbs-import`): the plain key with its
   * password-protected config, stored as `create` stores one (sealed when this process seals).
   * The config must name the key's fingerprint. 'present' when both copies were here already.
   */
  async adoptKey(key: Buffer, config: KeyConfig): Promise<'imported' | 'present'> {
    const fingerprint = keyFingerprint(key)
    if (key.length !== KEY_LENGTH || config.fingerprint !== fingerprint) {
      throw invalidArgument(
        `key config ${config.fingerprint ?? '(no fingerprint)'} is not for key ${fingerprint}`
      )
    }
    return this.locked(async (files) => {
      const info = this.info(files, fingerprint)
      const known = files.configs.some((c) => c.fingerprint === fingerprint)
      if (known && info.storage !== 'none') return 'present'
      await this.store(files, key, config)
      return 'imported'
    })
  }

  async changePassphrase(
    fingerprint: string,
    opts: { password: string; newPassword: string; hint: string; kdf?: 'scrypt' | 'pbkdf2' }
  ): Promise<TapeKeyInfo> {
    const hint = checkHint(opts.hint)
    const files = await this.readFiles()
    const full = this.resolve(files, fingerprint)
    const old = files.configs.find((c) => c.fingerprint === full)
    if (!old) {
      throw notFound(`key ${full} has no password-protected config to change (restore it first)`)
    }
    const next = await rewrapKeyConfig(old, {
      password: opts.password,
      newPassword: opts.newPassword,
      hint,
      kdf: opts.kdf
    })
    return this.locked(async (current) => {
      const index = current.configs.findIndex((c) => c.fingerprint === full)
      if (index < 0) throw notFound(`no tape encryption key with fingerprint ${full}`)
      if (current.configs[index]!.data !== old.data) {
        throw new ApiError('conflict', `key ${full} was changed by another process; try again`)
      }
      const configs = [...current.configs]
      configs[index] = next
      await this.writeConfigs(configs)
      return this.info({ ...current, configs }, full)
    })
  }

  /** Pools (media-pool.cfg `encrypt`) that use the key. */
  async poolsUsing(fingerprint: string): Promise<string[]> {
    const pools = new ConfigFile(this.home, 'media-pool.cfg', MEDIA_POOL_CFG_TYPES)
    const { sections } = await pools.read()
    return sections
      .filter((s) => typeof s.properties.encrypt === 'string')
      .filter((s) => (s.properties.encrypt as string).toLowerCase() === fingerprint)
      .map((s) => s.id)
  }

  /**
   * Delete both copies. Refused while a media pool encrypts with the key: its next backup would
   * fail, and unlike PBS we would rather the admin change the pool first.
   */
  async remove(fingerprint: string): Promise<void> {
    await this.locked(async (files) => {
      const full = this.resolve(files, fingerprint)
      const users = await this.poolsUsing(full)
      if (users.length > 0) {
        throw new ApiError(
          'in-use',
          `key ${full} is used by media pool ${users.map((u) => `'${u}'`).join(', ')}`
        )
      }
      // Plain key first: an interrupted remove leaves the wrapped config, which can still be
      // removed again or restored with the password — never a plain key without its config.
      if (files.plain.some((p) => p.fingerprint === full)) {
        await this.writePlain(files.plain.filter((p) => p.fingerprint !== full))
      }
      if (files.sealed.some((s) => s.fingerprint === full)) {
        await this.writeSealed(files.sealed.filter((s) => s.fingerprint !== full))
      }
      if (files.configs.some((c) => c.fingerprint === full)) {
        await this.writeConfigs(files.configs.filter((c) => c.fingerprint !== full))
      }
    })
  }
}
