import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openTapedeck, type Tapedeck } from '../../main/core/tapedeck'

export async function tempDir(
  prefix = 'tapedeck-test-'
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** A core on a fresh home; `close` also deletes the home. */
export async function tempCore(): Promise<Tapedeck & { cleanup(): Promise<void> }> {
  const home = await tempDir('tapedeck-home-')
  const core = await openTapedeck({ home: home.path })
  return Object.assign(core, {
    async cleanup() {
      await core.close()
      await home.remove()
    }
  })
}
