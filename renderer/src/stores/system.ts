import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/client'
import type { ApiResult } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { onReconnect } from './util'

export type SystemInfo = ApiResult<'system.info'>

export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)

  async function load(): Promise<void> {
    loading.value = true
    try {
      info.value = await call('system.info', {})
      error.value = null
    } catch (err) {
      error.value = errorMessage(err)
    } finally {
      loading.value = false
    }
  }

  onReconnect(() => void load())
  return { info, error, loading, load }
})
