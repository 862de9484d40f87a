/**
 * The `key.*` API methods: the key store plus what a client needs around it — which pools use a
 * key, paper keys, restore from text or from a tape. Passwords arrive in the arguments and go no
 * further than the KDF; results never carry key material (only the password-protected config
 * inside a paper key, which is meant to be printed).
 */
import type { ApiArgs, ApiResult } from '../api/contract'
import { notFound } from '../api/errors'
import { renderPaperKey, parsePaperKey } from '../crypto/paper-key'
import { TapeKeyStore, type TapeKeyInfo } from '../crypto/tape-keys'
import type { CoreServices } from '../tapedeck'
import { withDrive } from './drive-task'
import { readKeyConfigFromTape } from './key-from-tape'

type KeyInfoResult = ApiResult<'key.list'>[number]

export class KeyOperations {
  readonly store: TapeKeyStore

  constructor(private readonly core: CoreServices) {
    this.store = new TapeKeyStore(core.home, core.keySealer)
  }

  private async withPools(keys: TapeKeyInfo[]): Promise<KeyInfoResult[]> {
    const pools = await this.core.config.pools.list()
    return keys.map((k) => ({
      fingerprint: k.fingerprint,
      hint: k.hint,
      kdf: k.kdf,
      created: k.created,
      modified: k.modified,
      'has-plain-key': k.hasPlainKey,
      storage: k.storage,
      pools: pools.filter((p) => p.encrypt?.toLowerCase() === k.fingerprint).map((p) => p.name)
    }))
  }

  private async one(info: TapeKeyInfo): Promise<KeyInfoResult> {
    return (await this.withPools([info]))[0]!
  }

  async list(): Promise<KeyInfoResult[]> {
    return this.withPools(await this.store.list())
  }

  async show(fingerprint: string): Promise<KeyInfoResult> {
    return this.one(await this.store.show(fingerprint))
  }

  async create(args: ApiArgs<'key.create'>): Promise<KeyInfoResult> {
    return this.one(await this.store.create(args))
  }

  async changePassphrase(args: ApiArgs<'key.change-passphrase'>): Promise<KeyInfoResult> {
    return this.one(
      await this.store.changePassphrase(args.fingerprint, {
        password: args.password,
        newPassword: args['new-password'],
        hint: args.hint,
        kdf: args.kdf
      })
    )
  }

  async setStorage(args: ApiArgs<'key.set-storage'>): Promise<KeyInfoResult> {
    return this.one(await this.store.setStorage(args.fingerprint, args.storage, args.password))
  }

  sealing(): ApiResult<'key.sealing'> {
    const description = this.store.sealing
    return description ? { available: true, description } : { available: false }
  }

  remove(fingerprint: string): Promise<void> {
    return this.store.remove(fingerprint)
  }

  async paperkey(args: ApiArgs<'key.paperkey'>): Promise<ApiResult<'key.paperkey'>> {
    const fingerprint = await this.store.resolveFingerprint(args.fingerprint)
    const config = await this.store.keyConfig(fingerprint)
    if (!config) {
      throw notFound(`key ${fingerprint} has no password-protected config to print`)
    }
    const format = args.format ?? 'text'
    return { fingerprint, format, content: renderPaperKey(config, format, args.subject) }
  }

  async restore(args: ApiArgs<'key.restore'>): Promise<KeyInfoResult> {
    const config =
      args.key !== undefined
        ? parsePaperKey(args.key)
        : await withDrive(this.core, args.drive!, 'key restore', async (handle) => {
            return (await readKeyConfigFromTape(handle.driver)).keyConfig
          })
    return this.one(await this.store.importKeyConfig(config, args.password))
  }
}
