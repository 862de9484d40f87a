import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  KEY_CONFIGS_FILE,
  PLAIN_KEYS_FILE,
  SEALED_KEYS_FILE,
  TapeKeyStore
} from '../../../main/core/crypto/tape-keys'
import { sessionSealer } from '../../helpers/session-sealer'

let home: string
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'tapedeck-sealing-'))
})
afterEach(() => rm(home, { recursive: true, force: true }))

const read = (file: string) => readFile(join(home, file), 'utf8').catch(() => '')
const PASSWORD = 'correct horse'

async function sealedKey(sealer = sessionSealer()) {
  const app = new TapeKeyStore(home, sealer)
  const info = await app.create({ password: PASSWORD, hint: 'safe', kdf: 'pbkdf2' })
  const key = (await app.plainKey(info.fingerprint))!
  return { app, sealer, info, key }
}

describe('keys sealed to the desktop session', () => {
  it('the app seals new keys: no plain copy on disk, the key opens only with the sealer', async () => {
    const { info, key } = await sealedKey()
    expect(info).toMatchObject({ storage: 'sealed', hasPlainKey: true })
    expect(key).toHaveLength(32)

    const onDisk = (await read(PLAIN_KEYS_FILE)) + (await read(SEALED_KEYS_FILE))
    expect(onDisk).not.toContain(key.toString('hex'))
    expect(onDisk).not.toContain(key.toString('base64'))
    expect(JSON.parse(await read(SEALED_KEYS_FILE))).toEqual([
      { fingerprint: info.fingerprint, sealed: expect.any(String) }
    ])
    expect((await stat(join(home, SEALED_KEYS_FILE))).mode & 0o777).toBe(0o600)
    // the password-protected config is still there, in PBS format, for paper keys and tapes
    expect(JSON.parse(await read(KEY_CONFIGS_FILE))[0].fingerprint).toBe(info.fingerprint)
  })

  it('the CLI sees a sealed key but cannot use it, and says how to unseal it', async () => {
    const { info } = await sealedKey()
    const cli = new TapeKeyStore(home)
    expect(await cli.show(info.fingerprint)).toMatchObject({ storage: 'sealed' })
    await expect(cli.plainKey(info.fingerprint)).rejects.toThrow(
      new RegExp(`${info.fingerprint}.*sealed.*tapedeck key unseal`)
    )
  })

  it('unsealing outside the app needs the right password and moves the key to the 0600 file', async () => {
    const { info, key } = await sealedKey()
    const cli = new TapeKeyStore(home)
    await expect(cli.setStorage(info.fingerprint, 'file')).rejects.toThrow(/password is needed/)
    await expect(cli.setStorage(info.fingerprint, 'file', 'wrong password')).rejects.toThrow(
      new RegExp(info.fingerprint)
    )
    expect(await read(PLAIN_KEYS_FILE)).toBe('')

    const moved = await cli.setStorage(info.fingerprint, 'file', PASSWORD)
    expect(moved).toMatchObject({ storage: 'file', hasPlainKey: true })
    expect((await cli.plainKey(info.fingerprint))!.equals(key)).toBe(true)
    expect(JSON.parse(await read(SEALED_KEYS_FILE))).toEqual([])
    expect((await stat(join(home, PLAIN_KEYS_FILE))).mode & 0o777).toBe(0o600)
  })

  it('the app moves keys both ways without a password; the CLI cannot seal', async () => {
    const { app, info, key } = await sealedKey()
    expect(await app.setStorage(info.fingerprint, 'file')).toMatchObject({ storage: 'file' })
    expect(JSON.parse(await read(PLAIN_KEYS_FILE))[0].key).toBe(key.toString('hex'))
    await expect(new TapeKeyStore(home).setStorage(info.fingerprint, 'sealed')).rejects.toThrow(
      /only be sealed in the Tapedeck desktop app/
    )
    expect(await app.setStorage(info.fingerprint, 'sealed')).toMatchObject({ storage: 'sealed' })
    expect(JSON.parse(await read(PLAIN_KEYS_FILE))).toEqual([])
    expect((await app.plainKey(info.fingerprint))!.equals(key)).toBe(true)
  })

  it('a key sealed in another session fails clearly instead of programming a wrong key', async () => {
    const { info } = await sealedKey()
    const otherSession = new TapeKeyStore(home, sessionSealer())
    await expect(otherSession.plainKey(info.fingerprint)).rejects.toThrow(
      new RegExp(`${info.fingerprint} cannot be unsealed.*paper key`)
    )
  })

  it('keys imported in the app are sealed; remove deletes the sealed copy', async () => {
    const { app, info } = await sealedKey()
    const config = (await app.keyConfig(info.fingerprint))!
    await app.remove(info.fingerprint)
    expect(JSON.parse(await read(SEALED_KEYS_FILE))).toEqual([])
    expect(await app.list()).toEqual([])

    const imported = await app.importKeyConfig(config, PASSWORD)
    expect(imported).toMatchObject({ fingerprint: info.fingerprint, storage: 'sealed' })
  })

  it('PBS key files copied into the home stay usable by the CLI (file storage)', async () => {
    const cli = new TapeKeyStore(home)
    const info = await cli.create({ password: PASSWORD, hint: 'pbs', kdf: 'pbkdf2' })
    expect(info.storage).toBe('file')
    // the app opening the same home keeps using the file until the admin seals the key
    expect((await new TapeKeyStore(home, sessionSealer()).show(info.fingerprint)).storage).toBe(
      'file'
    )
  })
})
