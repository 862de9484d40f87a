import { ref, watch, type Ref } from 'vue'
import { onEvent } from '@/api/client'
import type { ApiEventPayload } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { connectionState } from '@/api/transport'

type ConfigFile = ApiEventPayload<'config.changed'>['file']

/** Runs `cb` whenever the connection comes back after a loss (events may have been missed). */
export function onReconnect(cb: () => void): void {
  watch(
    () => connectionState.generation,
    () => cb()
  )
}

export interface ListResource<T> {
  items: Ref<T[]>
  loading: Ref<boolean>
  loaded: Ref<boolean>
  error: Ref<string | null>
  load: () => Promise<void>
}

/**
 * A list fetched from the core that reloads itself when its config file changes (in this or any
 * other window) and after a reconnect. Only the newest of overlapping loads is applied.
 */
export function useConfigList<T>(fetch: () => Promise<T[]>, file: ConfigFile): ListResource<T> {
  const items = ref<T[]>([]) as Ref<T[]>
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  async function load(): Promise<void> {
    const mine = ++seq
    loading.value = true
    try {
      const result = await fetch()
      if (mine !== seq) return
      items.value = result
      error.value = null
      loaded.value = true
    } catch (err) {
      if (mine !== seq) return
      error.value = errorMessage(err)
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  onEvent('config.changed', (p) => {
    if (p.file === file && loaded.value) void load()
  })
  onReconnect(() => {
    if (loaded.value || error.value !== null) void load()
  })
  return { items, loading, loaded, error, load }
}

/** Sorts by `name`, the key of every config section. */
export function byName<T extends { name: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.name.localeCompare(b.name))
}
