import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/client'
import type { ApiArgs, TapeKeyInfo } from '@/api/contract'
import { useConfigList } from './util'

/**
 * Tape encryption keys (key.*). Only what the API shows about a key lives here: passwords go
 * straight from a dialog into one request and are never kept in the store.
 */
export const useKeysStore = defineStore('keys', () => {
  const list = useConfigList<TapeKeyInfo>(
    async () =>
      [...(await call('key.list', {}))].sort(
        (a, b) => a.hint.localeCompare(b.hint) || a.fingerprint.localeCompare(b.fingerprint)
      ),
    // the key files send no event of their own; reload when the pools (which name keys) change
    'media-pool.cfg'
  )

  async function create(args: ApiArgs<'key.create'>): Promise<TapeKeyInfo> {
    const info = await call('key.create', args)
    await list.load()
    return info
  }
  async function changePassphrase(args: ApiArgs<'key.change-passphrase'>): Promise<TapeKeyInfo> {
    const info = await call('key.change-passphrase', args)
    await list.load()
    return info
  }
  async function restore(args: ApiArgs<'key.restore'>): Promise<TapeKeyInfo> {
    const info = await call('key.restore', args)
    await list.load()
    return info
  }
  /** What seals keys in this process (the desktop app with a secret store); null elsewhere. */
  const sealing = ref<string | null>(null)
  async function load(): Promise<void> {
    const [info] = await Promise.all([call('key.sealing', {}), list.load()])
    sealing.value = info.available ? (info.description ?? 'the secret store') : null
  }
  async function setStorage(fingerprint: string, storage: 'file' | 'sealed'): Promise<void> {
    await call('key.set-storage', { fingerprint, storage })
    await list.load()
  }
  async function remove(fingerprint: string): Promise<void> {
    await call('key.remove', { fingerprint })
    await list.load()
  }

  return {
    keys: list.items,
    loading: list.loading,
    loaded: list.loaded,
    error: list.error,
    load,
    sealing,
    setStorage,
    create,
    changePassphrase,
    restore,
    remove,
    paperKey: (args: ApiArgs<'key.paperkey'>) => call('key.paperkey', args)
  }
})
