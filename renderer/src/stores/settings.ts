import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

export type ThemePreference = 'light' | 'dark' | 'system'

const THEME_KEY = 'tapedeck.theme'

export function storedTheme(): ThemePreference {
  try {
    const value = localStorage.getItem(THEME_KEY)
    if (value === 'light' || value === 'dark' || value === 'system') return value
  } catch {
    // storage disabled
  }
  return 'system'
}

/** Preferences of this workstation (kept in localStorage, not on the server). */
export const useSettingsStore = defineStore('settings', () => {
  const theme = ref<ThemePreference>(storedTheme())
  watch(theme, (value) => {
    try {
      localStorage.setItem(THEME_KEY, value)
    } catch {
      // not persisted; still applied for this session
    }
  })
  return { theme }
})
