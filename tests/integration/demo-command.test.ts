/** `tapedeck demo`: the embedded default in one command, end to end through the built CLI. */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

let home: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  home = await tempDir('tapedeck-demo-cmd-')
})
afterAll(() => home.remove(), 120_000)

it(
  'sets up a library, a datastore and a pool, backs up, restores and verifies',
  { timeout: 300_000 },
  () => {
    const result = tapedeck(home.path, ['demo'], {}, 280_000)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/backed up 12 snapshots to \d+ tapes/)
    expect(result.stdout).toMatch(/restored them into 'demo-restore' and verified \d+ chunks/)
    const again = tapedeck(home.path, ['demo'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already set up')
  }
)
