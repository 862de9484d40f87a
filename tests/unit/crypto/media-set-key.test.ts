/**
 * The per-media-set drive key against an independent implementation: Python's `cryptography`
 * PBKDF2HMAC with PBS's parameters (pbs-tape.md §7.1), plus one fixed golden value so a change
 * shows even where python3 is missing.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { mediaSetKey } from '../../../main/core/crypto/media-set-key'

const ORACLE = `
import sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
import uuid
key = bytes.fromhex(sys.argv[1])
salt = uuid.UUID(sys.argv[2]).bytes
print(PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=10).derive(key).hex())
`

function python(keyHex: string, uuid: string): string | undefined {
  const r = spawnSync('python3', ['-c', ORACLE, keyHex, uuid], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** python3 cryptography PBKDF2HMAC for cases[1], recorded when this test was written. */
const GOLDEN = '6fc1439566616b5e23f90c822ce9372dc96b080d92e93c92776ac8e4ebf78def'

const cases: [string, string][] = [
  ['00'.repeat(32), '00000000-0000-0000-0000-000000000001'],
  [
    '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    '7b4c2e9a-1f3d-4c5e-8a9b-0c1d2e3f4a5b'
  ],
  ['ff'.repeat(32), 'F47AC10B-58CC-4372-A567-0E02B2C3D479']
]

describe('media-set drive key', () => {
  it('is PBKDF2-HMAC-SHA256(pool key, set uuid bytes, 10 iterations, 32 bytes)', () => {
    const probe = spawnSync('python3', ['-c', 'import cryptography'])
    if (probe.status !== 0) {
      console.warn('python3 with cryptography not available: oracle comparison skipped')
      return
    }
    for (const [keyHex, uuid] of cases) {
      expect(mediaSetKey(Buffer.from(keyHex, 'hex'), uuid).toString('hex')).toBe(
        python(keyHex, uuid)
      )
    }
  })

  it('matches a recorded golden value', () => {
    const [keyHex, uuid] = cases[1]
    expect(mediaSetKey(Buffer.from(keyHex, 'hex'), uuid).toString('hex')).toBe(GOLDEN)
  })

  it('differs per media set and refuses keys of the wrong size', () => {
    const key = Buffer.alloc(32, 7)
    expect(mediaSetKey(key, cases[0][1]).equals(mediaSetKey(key, cases[1][1]))).toBe(false)
    expect(() => mediaSetKey(Buffer.alloc(16), cases[0][1])).toThrow(/32 bytes/)
  })
})
