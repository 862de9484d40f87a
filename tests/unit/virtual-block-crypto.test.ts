/**
 * The virtual drive's per-block AES-256-GCM (block-crypto.ts): what a block record holds, and how
 * a read fails without the key, with another key, or after damage — never with plaintext.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  CRYPT_RECORD_SIZE,
  DriveKey,
  isEncryptedRecord,
  openBlock
} from '../../main/core/devices/virtual/block-crypto'

const BLOCK = 262_144

describe('virtual drive block encryption', () => {
  const key = randomBytes(32)
  const block = Buffer.alloc(BLOCK, 'secret block content ')

  it('seals to same-size ciphertext with IV, tag and a key id that is not the key', () => {
    const dk = new DriveKey(key)
    const record = Buffer.alloc(CRYPT_RECORD_SIZE)
    const sealed = dk.seal(block, record)
    expect(sealed.length).toBe(BLOCK)
    expect(sealed.includes(Buffer.from('secret block'))).toBe(false)
    expect(isEncryptedRecord(record)).toBe(true)
    expect(record.includes(key)).toBe(false)
    expect(record.subarray(32).equals(dk.id)).toBe(true)
    // A fresh IV per block: the same plaintext never gives the same ciphertext.
    const again = Buffer.alloc(CRYPT_RECORD_SIZE)
    expect(dk.seal(block, again).equals(sealed)).toBe(false)
    expect(again.subarray(4, 16).equals(record.subarray(4, 16))).toBe(false)
    expect(Buffer.from(openBlock(dk, sealed, record) as Uint8Array).equals(block)).toBe(true)
  })

  it('fails without the key, with another key, or after damage', () => {
    const dk = new DriveKey(key)
    const record = Buffer.alloc(CRYPT_RECORD_SIZE)
    const sealed = dk.seal(block, record)
    expect(openBlock(undefined, sealed, record)).toBe('no-key')
    expect(openBlock(new DriveKey(randomBytes(32)), sealed, record)).toBe('wrong-key')
    const damaged = Buffer.from(sealed)
    damaged[1000] ^= 0x40
    expect(openBlock(dk, damaged, record)).toBe('integrity')
    const tag = Buffer.from(record)
    tag[20] ^= 1
    expect(openBlock(dk, sealed, tag)).toBe('integrity')
  })

  it('passes plain blocks through in mixed mode, with or without a key', () => {
    expect(openBlock(undefined, block, undefined)).toBe(block)
    const dk = new DriveKey(key)
    expect(openBlock(dk, block, Buffer.alloc(CRYPT_RECORD_SIZE))).toBe(block)
  })
})
