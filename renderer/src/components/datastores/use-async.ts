import { ref, watch, type Ref, type WatchSource } from 'vue'
import { errorMessage } from '@/api/errors'

export interface AsyncData<T> {
  data: Ref<T>
  loading: Ref<boolean>
  error: Ref<string | null>
  /** true once the current key has been loaded (or failed) */
  loaded: Ref<boolean>
  reload: () => Promise<void>
}

/**
 * Data fetched for a key (datastore, namespace, group…), refetched whenever the key changes.
 * `fetch` returning null means "nothing to load" (the data falls back to `empty`). Only the
 * newest of overlapping fetches is applied.
 */
export function useAsync<T>(
  key: WatchSource,
  fetch: () => Promise<T> | null,
  empty: () => T,
  /** changes when the data may have changed on the server: refetch, keeping what is shown */
  refresh?: WatchSource
): AsyncData<T> {
  const data = ref(empty()) as Ref<T>
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  async function reload(): Promise<void> {
    const mine = ++seq
    const pending = fetch()
    if (pending === null) {
      data.value = empty()
      error.value = null
      loading.value = false
      loaded.value = false
      return
    }
    loading.value = true
    try {
      const result = await pending
      if (mine !== seq) return
      data.value = result
      error.value = null
    } catch (err) {
      if (mine !== seq) return
      data.value = empty()
      error.value = errorMessage(err)
    } finally {
      if (mine === seq) {
        loading.value = false
        loaded.value = true
      }
    }
  }

  watch(
    key,
    () => {
      // a new key: do not show the previous key's data while loading
      loaded.value = false
      void reload()
    },
    { immediate: true }
  )
  if (refresh) watch(refresh, () => void reload())
  return { data, loading, error, loaded, reload }
}
