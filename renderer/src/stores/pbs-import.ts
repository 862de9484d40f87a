import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/client'
import { PBS_CONFIG_DIR, PBS_STATE_DIR, type PbsImportReport } from '@/components/pbs-import/model'

/**
 * The "Import from PBS" wizard's directories (kept while the app runs, so a second look starts
 * where the first ended) and its two calls: the preview (a dry run) and the import itself.
 */
export const usePbsImportStore = defineStore('pbs-import', () => {
  const configDir = ref(PBS_CONFIG_DIR)
  const stateDir = ref(PBS_STATE_DIR)

  function run(dryRun: boolean): Promise<PbsImportReport> {
    return call('pbs.import', {
      configDir: configDir.value.trim(),
      stateDir: stateDir.value.trim(),
      dryRun
    })
  }

  return {
    configDir,
    stateDir,
    preview: () => run(true),
    importAll: () => run(false)
  }
})
