import { onBeforeUnmount, ref } from 'vue'

/** Current epoch seconds, ticking once a second while the component lives. */
export function useNow() {
  const now = ref(Math.floor(Date.now() / 1000))
  const timer = setInterval(() => (now.value = Math.floor(Date.now() / 1000)), 1000)
  onBeforeUnmount(() => clearInterval(timer))
  return now
}
