import { defineStore } from 'pinia'
import { computed } from 'vue'
import { canPickDirectory } from '@/api/client'
import { connectionState } from '@/api/transport'

/** How the renderer reaches the core, for the banner and for desktop-only affordances. */
export const useConnectionStore = defineStore('connection', () => {
  const status = computed(() => connectionState.status)
  const kind = computed(() => connectionState.kind)
  const attempts = computed(() => connectionState.attempts)
  const retryIn = computed(() => connectionState.retryIn)
  const isOpen = computed(() => connectionState.status === 'open')
  /** Electron: native dialogs exist. */
  const isDesktop = computed(() => canPickDirectory())
  return { status, kind, attempts, retryIn, isOpen, isDesktop }
})
