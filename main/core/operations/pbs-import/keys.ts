/**
 * The tape encryption keys of a PBS host (`tape-encryption-keys.json`: plain keys;
 * `tape-encryption-key-config.json`: the same keys wrapped by a password), adopted into this
 * home's key store as pairs. A plain key without its wrapped config (nobody could print or
 * recover it) or a config without its plain key (the password is needed) is skipped with the
 * way to get it in. Key material never appears in the report.
 */
import { join } from 'node:path'
import { KEY_LENGTH } from '../../crypto/crypt-config'
import { KeyConfigSchema, keyFingerprint, type KeyConfig } from '../../crypto/key-config'
import { KEY_CONFIGS_FILE, PLAIN_KEYS_FILE, type TapeKeyStore } from '../../crypto/tape-keys'
import { readSource, type ImportLog } from './report'

/** A JSON array file of the PBS host; undefined when missing. */
async function readArray(path: string): Promise<unknown[] | undefined> {
  const bytes = await readSource(path)
  if (bytes === undefined) return undefined
  const text = bytes.toString('utf8')
  if (text.trim() === '') return []
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  if (!Array.isArray(value)) throw new Error(`${path} does not hold a JSON array`)
  return value
}

/** Plain keys by fingerprint; entries that do not check out are logged and left out. */
function plainKeys(entries: unknown[], source: string, log: ImportLog): Map<string, Buffer> {
  const keys = new Map<string, Buffer>()
  entries.forEach((entry, i) => {
    const e = entry as { fingerprint?: unknown; key?: unknown }
    const name = typeof e?.fingerprint === 'string' ? e.fingerprint : `entry ${i + 1}`
    const skip = (reason: string) =>
      log.add({ kind: 'key', name, action: 'skipped', source, reason })
    if (typeof e?.key !== 'string' || !/^[0-9a-fA-F]{64}$/.test(e.key)) {
      return skip(`entry ${i + 1} has no key of ${KEY_LENGTH} bytes (64 hex digits)`)
    }
    const key = Buffer.from(e.key, 'hex')
    const fingerprint = keyFingerprint(key)
    // PBS recomputes the fingerprint on load; a mismatch is a damaged file.
    if (name !== fingerprint) {
      return skip(
        `entry ${i + 1}: stored fingerprint does not match its key (computed ${fingerprint})`
      )
    }
    keys.set(fingerprint, key)
  })
  return keys
}

function keyConfigs(entries: unknown[], source: string, log: ImportLog): Map<string, KeyConfig> {
  const configs = new Map<string, KeyConfig>()
  entries.forEach((entry, i) => {
    const parsed = KeyConfigSchema.safeParse(entry)
    if (!parsed.success || parsed.data.fingerprint === undefined) {
      const why = parsed.success ? 'no fingerprint' : parsed.error.issues[0]?.message
      log.add({
        kind: 'key',
        name: `entry ${i + 1}`,
        action: 'skipped',
        source,
        reason: `not a valid PBS key config: ${why}`
      })
      return
    }
    configs.set(parsed.data.fingerprint, parsed.data)
  })
  return configs
}

export async function importKeys(
  store: TapeKeyStore,
  configDir: string,
  dryRun: boolean,
  log: ImportLog
): Promise<void> {
  const plainSource = join(configDir, PLAIN_KEYS_FILE)
  const configSource = join(configDir, KEY_CONFIGS_FILE)
  let plain: Map<string, Buffer>
  let configs: Map<string, KeyConfig>
  try {
    const plainEntries = await readArray(plainSource)
    const configEntries = await readArray(configSource)
    if (plainEntries === undefined && configEntries === undefined) {
      log.note(`no tape encryption keys in ${configDir}`)
      return
    }
    plain = plainKeys(plainEntries ?? [], plainSource, log)
    configs = keyConfigs(configEntries ?? [], configSource, log)
  } catch (err) {
    log.skipFile('key', configDir, err)
    return
  }
  const known = new Map((await store.list()).map((k) => [k.fingerprint, k]))
  for (const fingerprint of [...new Set([...plain.keys(), ...configs.keys()])].sort()) {
    const key = plain.get(fingerprint)
    const config = configs.get(fingerprint)
    const item = {
      kind: 'key' as const,
      name: fingerprint,
      source: key ? plainSource : configSource
    }
    const here = known.get(fingerprint)
    if (here?.hasPlainKey && here.kdf !== 'none') {
      log.add({ ...item, action: 'present' })
    } else if (!config) {
      log.add({
        ...item,
        action: 'skipped',
        reason:
          'the PBS host has no password-protected config for this key, so it could never be ' +
          'printed or recovered; export a paper key on the PBS host and restore it with `tapedeck key restore`'
      })
    } else if (!key) {
      log.add({
        ...item,
        source: configSource,
        action: 'skipped',
        reason:
          'the PBS host has no plain copy of this key; restore it with `tapedeck key restore` and its password'
      })
    } else if (dryRun) {
      log.add({ ...item, action: 'imported' })
    } else {
      log.add({ ...item, action: await store.adoptKey(key, config) })
    }
  }
}
