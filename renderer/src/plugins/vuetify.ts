import 'vuetify/styles'
import { createVuetify } from 'vuetify'
import { aliases, mdi } from 'vuetify/iconsets/mdi-svg'
import { storedTheme } from '@/stores/settings'

export default createVuetify({
  icons: { defaultSet: 'mdi', aliases, sets: { mdi } },
  theme: {
    defaultTheme: storedTheme(),
    themes: {
      light: {
        dark: false,
        colors: {
          primary: '#1a5fb4',
          secondary: '#5e6b7d',
          background: '#f6f7f9',
          surface: '#ffffff'
        }
      },
      dark: {
        dark: true,
        colors: {
          primary: '#78aeed',
          'on-primary': '#0b1d33',
          secondary: '#9aa7b8',
          background: '#15181c',
          surface: '#1e2227'
        }
      }
    }
  },
  defaults: {
    VTextField: { variant: 'outlined', density: 'comfortable' },
    VSelect: { variant: 'outlined', density: 'comfortable' },
    VTextarea: { variant: 'outlined', density: 'comfortable' },
    VDataTable: { density: 'comfortable', hover: true },
    VDataTableServer: { density: 'comfortable', hover: true },
    VCard: { variant: 'flat', border: true }
  }
})
