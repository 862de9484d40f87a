import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'
import vuetify from 'vite-plugin-vuetify'

// One build for every host of the core: the Electron main process (index), the command line
// (cli, which also runs serve mode), the sandboxed preload and the renderer.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'main/app/index.ts'),
          cli: resolve(__dirname, 'main/cli/index.ts'),
          // worker thread for datastore verification (found next to the entries at run time)
          'chunk-check-worker': resolve(__dirname, 'main/core/datastore/chunk-check-worker.ts')
        }
      }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: { input: { index: resolve(__dirname, 'preload/index.ts') } }
    }
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    resolve: { alias: { '@': resolve(__dirname, 'renderer/src') } },
    plugins: [vue(), vuetify({ autoImport: true })],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      minify: true,
      rolldownOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } }
    }
  }
})
