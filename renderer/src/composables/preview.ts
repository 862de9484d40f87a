import { ref, watch, type Ref, type WatchSource } from 'vue'
import { errorMessage } from '@/api/errors'

export interface LivePreview<R> {
  result: Ref<R | null>
  error: Ref<string | null>
  pending: Ref<boolean>
}

/**
 * Asks the core to preview a value while the admin types: debounced, only the newest answer is
 * kept, `skip` values (empty, keywords) get no request and no error.
 */
export function useLivePreview<R>(
  source: WatchSource<string>,
  fetch: (value: string) => Promise<R>,
  skip: (value: string) => boolean,
  delayMs = 250
): LivePreview<R> {
  const result = ref<R | null>(null) as Ref<R | null>
  const error = ref<string | null>(null)
  const pending = ref(false)
  let seq = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  watch(
    source,
    (raw) => {
      const value = raw.trim()
      const mine = ++seq
      clearTimeout(timer)
      if (skip(value)) {
        result.value = null
        error.value = null
        pending.value = false
        return
      }
      pending.value = true
      timer = setTimeout(async () => {
        try {
          const r = await fetch(value)
          if (mine !== seq) return
          result.value = r
          error.value = null
        } catch (err) {
          if (mine !== seq) return
          result.value = null
          error.value = errorMessage(err)
        } finally {
          if (mine === seq) pending.value = false
        }
      }, delayMs)
    },
    { immediate: true }
  )

  return { result, error, pending }
}
