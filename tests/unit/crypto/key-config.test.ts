/**
 * PBS KeyConfig checked against an independent implementation: a Python script using the
 * `cryptography` package (scrypt, PBKDF2, AES-GCM) written from the PBS format description. Both
 * directions: we unwrap configs Python wrapped, Python unwraps ours.
 */
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  KeyConfigSchema,
  WrongPasswordError,
  createKeyConfig,
  decryptKeyConfig,
  keyFingerprint,
  parseKeyConfig,
  parseKeyConfigJson,
  rewrapKeyConfig,
  serializeKeyConfig,
  type KeyConfig
} from '../../../main/core/crypto/key-config'

const ORACLE = join(__dirname, '..', '..', 'helpers', 'pbs-key-oracle.py')

function oracle<T>(request: Record<string, unknown>): T {
  const run = spawnSync('python3', [ORACLE], { input: JSON.stringify(request), encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`python oracle failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as T
}

const KDFS = ['scrypt', 'pbkdf2'] as const

describe('PBS key fingerprint', () => {
  it('digests SHA-256("Proxmox Backup Encryption Key Fingerprint") as PBS documents', () => {
    expect(
      createHash('sha256').update('Proxmox Backup Encryption Key Fingerprint').digest('hex')
    ).toBe('6ed0ef77471fff4d55c7a8fe4a9db62161407f134c725ddf30992d25ec45ed26')
  })

  it('matches the oracle for several keys', () => {
    for (const key of [Buffer.alloc(32), Buffer.alloc(32, 0xff), randomBytes(32)]) {
      const { fingerprint } = oracle<{ fingerprint: string }>({
        op: 'fingerprint',
        key: key.toString('hex')
      })
      expect(keyFingerprint(key)).toBe(fingerprint)
      expect(fingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/)
    }
  })
})

describe.each(KDFS)('KeyConfig with %s', (kdf) => {
  it('unwraps a config the oracle wrapped', async () => {
    const key = randomBytes(32)
    const config = oracle<unknown>({
      op: 'wrap',
      key: key.toString('hex'),
      password: 'correct horse',
      kdf,
      hint: 'the usual',
      created: '2021-01-23T14:47:21+01:00'
    })
    const parsed = parseKeyConfig(config)
    const opened = await decryptKeyConfig(parsed, 'correct horse')
    expect(opened.key.equals(key)).toBe(true)
    expect(opened.fingerprint).toBe(keyFingerprint(key))
  })

  it('wraps a config the oracle unwraps, in PBS field order', async () => {
    const key = randomBytes(32)
    const config = await createKeyConfig(key, { password: 'pässwörd', kdf, hint: 'umlauts' })
    const json = JSON.parse(JSON.stringify(serializeKeyConfig(config))) as Record<string, unknown>
    expect(Object.keys(json)).toEqual(['kdf', 'created', 'modified', 'data', 'fingerprint', 'hint'])
    expect(Buffer.from(config.data, 'base64')).toHaveLength(16 + 16 + 32)
    expect(config.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/)
    if (kdf === 'scrypt') {
      expect(json.kdf).toMatchObject({ Scrypt: { n: 65536, r: 8, p: 1 } })
    } else {
      expect(json.kdf).toMatchObject({ PBKDF2: { iter: 65535 } })
    }
    const opened = oracle<{ key: string; fingerprint: string }>({
      op: 'unwrap',
      config: json,
      password: 'pässwörd'
    })
    expect(opened.key).toBe(key.toString('hex'))
    expect(opened.fingerprint).toBe(config.fingerprint)
  })

  it('names the fingerprint and the hint on a wrong password', async () => {
    const config = await createKeyConfig(randomBytes(32), {
      password: 'right password',
      kdf,
      hint: 'my hint'
    })
    const err = await decryptKeyConfig(config, 'wrong password').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WrongPasswordError)
    expect((err as Error).message).toContain(config.fingerprint)
    expect((err as Error).message).toContain('my hint')
  })
})

describe('KeyConfig rules', () => {
  it('refuses passphrases under 5 bytes, both ways', async () => {
    await expect(createKeyConfig(randomBytes(32), { password: '1234' })).rejects.toThrow(
      /too short/
    )
    const config = await createKeyConfig(randomBytes(32), { password: '12345', kdf: 'pbkdf2' })
    await expect(decryptKeyConfig(config, 'abcd')).rejects.toThrow(/too short/)
  })

  it('detects a config whose fingerprint does not belong to its key', async () => {
    const config = await createKeyConfig(randomBytes(32), { password: 'password', kdf: 'pbkdf2' })
    const forged: KeyConfig = { ...config, fingerprint: keyFingerprint(randomBytes(32)) }
    await expect(decryptKeyConfig(forged, 'password')).rejects.toThrow(/claims fingerprint/)
  })

  it('re-wraps under a new password and keeps the key and the creation time', async () => {
    const key = randomBytes(32)
    const config = await createKeyConfig(key, {
      password: 'old password',
      kdf: 'pbkdf2',
      hint: 'old',
      now: new Date('2020-05-01T00:00:00Z')
    })
    const next = await rewrapKeyConfig(config, {
      password: 'old password',
      newPassword: 'new password',
      hint: 'new',
      kdf: 'scrypt'
    })
    expect(next.created).toBe(config.created)
    expect(next.modified).not.toBe(config.modified)
    expect(next.hint).toBe('new')
    expect(next.fingerprint).toBe(config.fingerprint)
    expect((await decryptKeyConfig(next, 'new password')).key.equals(key)).toBe(true)
    await expect(decryptKeyConfig(next, 'old password')).rejects.toThrow(WrongPasswordError)
  })

  it('opens an unprotected config (kdf null) without a password', async () => {
    const key = randomBytes(32)
    const config = KeyConfigSchema.parse({
      kdf: null,
      created: '2021-01-23T14:47:21+01:00',
      modified: '2021-01-23T14:47:21+01:00',
      data: key.toString('base64')
    })
    expect((await decryptKeyConfig(config)).fingerprint).toBe(keyFingerprint(key))
  })

  it('gives clear errors for malformed configs', () => {
    expect(() => parseKeyConfigJson('{nope')).toThrow(/not JSON/)
    expect(() =>
      parseKeyConfig({ kdf: { Argon2: {} }, created: 'x', modified: 'y', data: '!!' })
    ).toThrow(/not a valid PBS key config: .*created/)
    expect(() =>
      parseKeyConfig({
        kdf: null,
        created: '2021-01-23T14:47:21+01:00',
        modified: '2021-01-23T14:47:21+01:00',
        data: 'AAAA',
        fingerprint: 'zz'
      })
    ).toThrow(/fingerprint/)
  })
})
