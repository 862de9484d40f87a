import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { initClient } from '@/api/client'
import { vAutofocus } from '@/directives/autofocus'
import vuetify from '@/plugins/vuetify'
import { createAppRouter } from '@/router'
import '@/styles/app.css'
import App from './App.vue'

// before the router: serve mode passes its access token in the address fragment
initClient()

createApp(App)
  .directive('autofocus', vAutofocus)
  .use(createPinia())
  .use(vuetify)
  .use(createAppRouter())
  .mount('#app')
