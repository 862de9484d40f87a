import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { keyFingerprint } from '../../../main/core/crypto/key-config'
import {
  KEY_CONFIGS_FILE,
  PLAIN_KEYS_FILE,
  TapeKeyStore
} from '../../../main/core/crypto/tape-keys'

// Not tests/helpers/temp: that opens a whole core; the key store needs only a directory.
async function tempDir() {
  const path = await mkdtemp(join(tmpdir(), 'tapedeck-keys-'))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

let home: Awaited<ReturnType<typeof tempDir>>
let store: TapeKeyStore

beforeEach(async () => {
  home = await tempDir()
  store = new TapeKeyStore(home.path)
})
afterEach(() => home.remove())

const create = (hint = 'hint', password = 'password') =>
  store.create({ password, hint, kdf: 'pbkdf2' })

const mode = async (file: string) => (await stat(join(home.path, file))).mode & 0o777

describe('TapeKeyStore', () => {
  it('stores both copies in PBS format, 0600, and lists the key', async () => {
    const info = await create('first key')
    expect(info).toMatchObject({ hint: 'first key', kdf: 'pbkdf2', hasPlainKey: true })
    expect(await mode(PLAIN_KEYS_FILE)).toBe(0o600)
    expect(await mode(KEY_CONFIGS_FILE)).toBe(0o600)

    const plain = JSON.parse(await readFile(join(home.path, PLAIN_KEYS_FILE), 'utf8'))
    expect(plain).toEqual([
      { fingerprint: info.fingerprint, key: expect.stringMatching(/^[0-9a-f]{64}$/) }
    ])
    expect(keyFingerprint(Buffer.from(plain[0].key, 'hex'))).toBe(info.fingerprint)
    const configs = JSON.parse(await readFile(join(home.path, KEY_CONFIGS_FILE), 'utf8'))
    expect(configs[0]).toMatchObject({ fingerprint: info.fingerprint, hint: 'first key' })

    expect(await store.list()).toEqual([info])
    expect((await store.plainKey(info.fingerprint))?.toString('hex')).toBe(plain[0].key)
    expect((await store.keyConfig(info.fingerprint))?.data).toBe(configs[0].data)
  })

  it('never puts key material into what it returns', async () => {
    const info = await create()
    const key = (await store.plainKey(info.fingerprint))!.toString('hex')
    const shown = JSON.stringify([info, await store.list(), await store.show(info.fingerprint)])
    expect(shown).not.toContain(key)
    expect(shown).not.toContain(Buffer.from(key, 'hex').toString('base64'))
  })

  it('finds keys by unique prefix, with or without colons, and reports ambiguity', async () => {
    const a = await create('a')
    const short = a.fingerprint.split(':').slice(0, 8).join(':')
    expect((await store.show(short)).fingerprint).toBe(a.fingerprint)
    expect((await store.show(short.replaceAll(':', '').toUpperCase())).fingerprint).toBe(
      a.fingerprint
    )
    const other = (parseInt(a.fingerprint.slice(0, 2), 16) ^ 0xff).toString(16).padStart(2, '0')
    await expect(store.show(`${other}:00:00`)).rejects.toThrow(/no tape encryption key/)
    await expect(store.show('xyz')).rejects.toThrow(/not a key fingerprint/)
    expect(await store.plainKey('ab:cd:ef:01:02:03:04:05:06')).toBeUndefined()

    // A second key: a one-digit prefix shared by both is ambiguous.
    let b = await create('b')
    while (b.fingerprint[0] !== a.fingerprint[0]) {
      await store.remove(b.fingerprint)
      b = await create('b')
    }
    await expect(store.show(a.fingerprint.slice(0, 1))).rejects.toThrow(/ambiguous/)
  })

  it('takes group and world access away from a plain key file copied in', async () => {
    await create()
    const path = join(home.path, PLAIN_KEYS_FILE)
    await chmod(path, 0o644)
    await store.list()
    expect(await mode(PLAIN_KEYS_FILE)).toBe(0o600)
  })

  it('detects a plain key whose stored fingerprint does not match', async () => {
    const info = await create()
    const path = join(home.path, PLAIN_KEYS_FILE)
    const plain = JSON.parse(await readFile(path, 'utf8'))
    plain[0].key = 'ff'.repeat(32)
    await writeFile(path, JSON.stringify(plain))
    await expect(store.list()).rejects.toThrow(
      new RegExp(`stored fingerprint ${info.fingerprint} does not match`)
    )
  })

  it('changes the passphrase without touching the plain key; wrong password changes nothing', async () => {
    const info = await create('old hint', 'old password')
    const plainBefore = await readFile(join(home.path, PLAIN_KEYS_FILE))
    const configBefore = await readFile(join(home.path, KEY_CONFIGS_FILE))
    await expect(
      store.changePassphrase(info.fingerprint, {
        password: 'not it at all',
        newPassword: 'new password',
        hint: 'new hint'
      })
    ).rejects.toThrow(new RegExp(`${info.fingerprint}.*old hint`))
    expect(await readFile(join(home.path, KEY_CONFIGS_FILE))).toEqual(configBefore)

    const next = await store.changePassphrase(info.fingerprint.slice(0, 23), {
      password: 'old password',
      newPassword: 'new password',
      hint: 'new hint',
      kdf: 'pbkdf2'
    })
    expect(next).toMatchObject({
      fingerprint: info.fingerprint,
      hint: 'new hint',
      created: info.created
    })
    expect(await readFile(join(home.path, PLAIN_KEYS_FILE))).toEqual(plainBefore)

    // The new config opens with the new password only: import into a fresh home proves it.
    const other = await tempDir()
    try {
      const fresh = new TapeKeyStore(other.path)
      const config = (await store.keyConfig(info.fingerprint))!
      await expect(fresh.importKeyConfig(config, 'old password')).rejects.toThrow(/new hint/)
      await expect(fresh.list()).resolves.toEqual([])
      const imported = await fresh.importKeyConfig(config, 'new password')
      expect(imported.fingerprint).toBe(info.fingerprint)
      expect(
        (await fresh.plainKey(info.fingerprint))?.equals((await store.plainKey(info.fingerprint))!)
      ).toBe(true)
      // Idempotent: a second import changes nothing.
      const before = await readFile(join(other.path, PLAIN_KEYS_FILE))
      await fresh.importKeyConfig(config, 'new password')
      expect(await readFile(join(other.path, PLAIN_KEYS_FILE))).toEqual(before)
      expect(await fresh.list()).toHaveLength(1)
    } finally {
      await other.remove()
    }
  })

  it('refuses to remove a key a media pool encrypts with', async () => {
    const info = await create()
    await writeFile(
      join(home.path, 'media-pool.cfg'),
      `pool: secret\n\tencrypt ${info.fingerprint.toUpperCase()}\n\npool: plain\n\tallocation continue\n`
    )
    await expect(store.remove(info.fingerprint)).rejects.toThrow(/used by media pool 'secret'/)
    expect(await store.list()).toHaveLength(1)

    await writeFile(join(home.path, 'media-pool.cfg'), 'pool: plain\n\tallocation continue\n')
    await store.remove(info.fingerprint.slice(0, 5))
    expect(await store.list()).toEqual([])
    expect(JSON.parse(await readFile(join(home.path, PLAIN_KEYS_FILE), 'utf8'))).toEqual([])
  })

  it('validates hints', async () => {
    await expect(create('')).rejects.toThrow(/hint/)
    await expect(create('x'.repeat(33))).rejects.toThrow(/hint/)
    await expect(create('a\nb')).rejects.toThrow(/single line/)
  })
})
