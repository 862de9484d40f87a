/**
 * `key.restore` from a drive (PBS `restore_key`): the key config comes from the media-set label of
 * the tape in the drive. The label is written here by hand, so the test needs no backup: tapes
 * without a set, sets without encryption, a wrong password and the right one.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeyConfig, serializeKeyConfig } from '../../main/core/crypto/key-config'
import { TapeKeyStore } from '../../main/core/crypto/tape-keys'
import { writeMediaSetLabelFile } from '../../main/core/format/media-set-label'
import { openDrive } from '../../main/core/operations/devices'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>
let core: Core
let work: Awaited<ReturnType<typeof tempDir>>

async function ok(started: Promise<{ upid: string }>) {
  const { upid } = await started
  const info = await core.tasks.wait(upid)
  expect(info.state, info.status).toBe('ok')
}

/** Replace file 1 of the tape in lib-0 with a media-set label (and its key config, if any). */
async function writeSetLabel(keyConfig?: Record<string, unknown>, fingerprint?: string) {
  const handle = await openDrive(core, 'lib-0')
  try {
    await handle.driver.locateFile(1)
    await writeMediaSetLabelFile(
      handle.driver,
      {
        pool: 'secret',
        uuid: randomUUID(),
        seqNr: 0,
        ctime: 1_700_000_000,
        encryptionKeyFingerprint: fingerprint
      },
      keyConfig
    )
    await handle.driver.writeFilemarks(0)
  } finally {
    await handle.close()
  }
}

beforeAll(async () => {
  core = await tempCore()
  work = await tempDir('tapedeck-key-tape-')
  await core.api.invoke('vlib.create', { name: 'lib', path: join(work.path, 'lib'), tapes: 2 })
  await ok(core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE01L9' }))
  await ok(core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'TAPE01L9' }))
})
afterAll(async () => {
  await core.cleanup()
  await work.remove()
})

describe('key.restore from the tape in a drive', () => {
  it('says so when the tape is in no media set, or its set is not encrypted', async () => {
    await expect(
      core.api.invoke('key.restore', { drive: 'lib-0', password: 'whatever' })
    ).rejects.toThrow("media 'TAPE01L9' is not part of a media set")
    await writeSetLabel()
    await expect(
      core.api.invoke('key.restore', { drive: 'lib-0', password: 'whatever' })
    ).rejects.toThrow(/does not contain an encryption key configuration/)
  })

  it('imports the key config of an encrypted set with the password, not without', async () => {
    const key = Buffer.alloc(32, 7)
    const config = await createKeyConfig(key, {
      password: 'tape password',
      kdf: 'pbkdf2',
      hint: 'on the wall'
    })
    await writeSetLabel(serializeKeyConfig(config), config.fingerprint)

    const wrong = await core.api
      .invoke('key.restore', { drive: 'lib-0', password: 'wrong password' })
      .catch((err: Error) => err)
    expect(wrong).toBeInstanceOf(Error)
    expect((wrong as Error).message).toContain(config.fingerprint!)
    expect((wrong as Error).message).toContain('password hint: on the wall')
    expect(await core.api.invoke('key.list', {})).toEqual([])

    const restored = await core.api.invoke('key.restore', {
      drive: 'lib-0',
      password: 'tape password'
    })
    expect(restored).toMatchObject({
      fingerprint: config.fingerprint,
      hint: 'on the wall',
      'has-plain-key': true
    })
    const stored = await new TapeKeyStore(core.home).plainKey(config.fingerprint!)
    expect(stored?.equals(key)).toBe(true)
  })
})
