import { defineStore } from 'pinia'
import { call } from '@/api/client'
import type { ApiArgs, ChangerConfig, DriveConfig } from '@/api/contract'
import { byName, useConfigList } from './util'

/** Drives and changers (both live in tape.cfg). */
export const useLibraryStore = defineStore('library', () => {
  const drives = useConfigList<DriveConfig>(
    async () => byName(await call('drive.list', {})),
    'tape.cfg'
  )
  const changers = useConfigList<ChangerConfig>(
    async () => byName(await call('changer.list', {})),
    'tape.cfg'
  )

  async function load(): Promise<void> {
    await Promise.all([drives.load(), changers.load()])
  }

  async function createDrive(args: ApiArgs<'drive.create'>): Promise<void> {
    await call('drive.create', args)
    await drives.load()
  }
  async function updateDrive(args: ApiArgs<'drive.update'>): Promise<void> {
    await call('drive.update', args)
    await drives.load()
  }
  async function removeDrive(name: string): Promise<void> {
    await call('drive.remove', { name })
    await drives.load()
  }
  async function createChanger(args: ApiArgs<'changer.create'>): Promise<void> {
    await call('changer.create', args)
    await changers.load()
  }
  async function updateChanger(args: ApiArgs<'changer.update'>): Promise<void> {
    await call('changer.update', args)
    await changers.load()
  }
  async function removeChanger(name: string): Promise<void> {
    await call('changer.remove', { name })
    await changers.load()
  }

  return {
    drives: drives.items,
    drivesLoading: drives.loading,
    drivesLoaded: drives.loaded,
    drivesError: drives.error,
    changers: changers.items,
    changersLoading: changers.loading,
    changersLoaded: changers.loaded,
    changersError: changers.error,
    load,
    driveConfig: (name: string) => call('drive.config', { name }),
    changerConfig: (name: string) => call('changer.config', { name }),
    createDrive,
    updateDrive,
    removeDrive,
    createChanger,
    updateChanger,
    removeChanger
  }
})
