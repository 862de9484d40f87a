import { describe, expect, it } from 'vitest'
import {
  aes256GcmIndex,
  buildSetDataEncryptionPage,
  parseEncryptionCapabilities,
  parseEncryptionStatus,
  parseNextBlockEncryptionStatus,
  parseSupportedEncryptionPages,
  parseSupportedSecurityProtocols
} from '../../../main/core/devices/scsi/encryption'
import { concat, h, hexOf } from './hex'

// mhVTL's LTO capabilities page (usr/pm/ult3580_pm.c encr_capabilities_ult), byte for byte:
// length 40, CFG_P 01b, one descriptor: index 1, length 0x14, 0x3a (MAC_C DELB_C DECRYPT_C=2
// ENCRYPT_C=2), 0x10 (NONCE_C 1), U-KAD 0x20, A-KAD 0x0c, key size 0x20, EAREM, AES-256-GCM.
const MHVTL_CAPS = h(
  '0010 0028 01' +
    '00'.repeat(15) + //
    '01 00 0014 3a 10 0020 000c 0020 01 00 0000 00000000 00010014'
)

describe('SECURITY PROTOCOL IN pages', () => {
  it('supported protocols (protocol 0) and supported encryption pages (protocol 0x20)', () => {
    expect(parseSupportedSecurityProtocols(h('000000000000 0002 00 20'))).toEqual([0x00, 0x20])
    expect(parseSupportedEncryptionPages(h('0000 0008 0000 0001 0010 0020'))).toEqual([
      0x0000, 0x0001, 0x0010, 0x0020
    ])
  })

  it('data encryption capabilities: the mhVTL LTO page gives algorithm index 1', () => {
    const caps = parseEncryptionCapabilities(MHVTL_CAPS)
    expect(caps).toEqual({
      configurationPrevented: 1,
      algorithms: [
        {
          index: 1,
          encryptCapable: 2,
          decryptCapable: 2,
          validForMountedVolume: false,
          separateDecryptionKeys: false,
          maxUnauthenticatedKadBytes: 32,
          maxAuthenticatedKadBytes: 12,
          keySize: 32,
          algorithmCode: 0x00010014
        }
      ]
    })
    expect(aes256GcmIndex(caps)).toBe(1)
  })

  it('picks AES-256-GCM with hardware encrypt+decrypt and a 32-byte key, like PBS', () => {
    const descriptor = (index: number, flags: number, keySize: number, code: string): string =>
      `${index.toString(16).padStart(2, '0')} 00 0014 ${flags.toString(16).padStart(2, '0')} 00 0000 0000 ${keySize.toString(16).padStart(4, '0')} 00 00 0000 00000000 ${code}`
    const page = (...d: string[]): Uint8Array =>
      concat(
        h(`0010 ${(16 + 24 * d.length).toString(16).padStart(4, '0')}`),
        new Uint8Array(16),
        ...d.map(h)
      )
    const aes128 = descriptor(1, 0x0a, 16, '00010010')
    const softwareOnly = descriptor(2, 0x05, 32, '00010014')
    const good = descriptor(3, 0x8a, 32, '00010014')
    expect(aes256GcmIndex(parseEncryptionCapabilities(page(aes128, softwareOnly, good)))).toBe(3)
    expect(aes256GcmIndex(parseEncryptionCapabilities(page(aes128, softwareOnly)))).toBeNull()
    expect(() => parseEncryptionCapabilities(page(aes128.replace('0014', '0010')))).toThrow(
      /descriptor length 0x10, expected 0x14/
    )
    expect(() => parseEncryptionCapabilities(h('0020 0010' + '00'.repeat(16)))).toThrow(
      /expected page 0x0010, got 0x0020/
    )
  })

  it('data encryption status: modes map to off / on / mixed / raw-read as in PBS', () => {
    const status = (scope: string, enc: string, dec: string): Uint8Array =>
      h(`0020 0014 ${scope} ${enc} ${dec} 01 00000005 00 00 0000 0000000000000000`)
    expect(parseEncryptionStatus(status('42', '02', '03'))).toEqual({
      itNexusScope: 2,
      keyScope: 2,
      encryptionMode: 'encrypt',
      decryptionMode: 'mixed',
      state: 'mixed',
      algorithmIndex: 1,
      keyInstanceCounter: 5,
      kadFormat: 0
    })
    expect(parseEncryptionStatus(status('00', '00', '00')).state).toBe('off')
    expect(parseEncryptionStatus(status('40', '02', '02')).state).toBe('on')
    expect(parseEncryptionStatus(status('40', '02', '01')).state).toBe('raw-read')
    expect(parseEncryptionStatus(status('40', '01', '02'))).toMatchObject({
      encryptionMode: 'external',
      state: 'unknown'
    })
  })

  it('next block encryption status', () => {
    expect(parseNextBlockEncryptionStatus(h('0021 000c 000000000000002a 15 01 00 00'))).toEqual({
      logicalObjectNumber: 42,
      compressionStatus: 1,
      encryptionStatus: 5,
      algorithmIndex: 1,
      kadFormat: 0
    })
  })
})

describe('Set Data Encryption page (SECURITY PROTOCOL OUT 0x20/0x0010)', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i)

  it('matches PBS sg_spout_set_encryption byte for byte: scope ALL I_T NEXUS, encrypt / mixed', () => {
    expect(hexOf(buildSetDataEncryptionPage({ algorithmIndex: 1, key }))).toBe(
      '0010' + // page code
        '0030' + // page length 52 - 4
        '40' + // scope: all I_T nexus (0b10 << 5), LOCK 0
        '00' + // CEEM/RDMC/SDK/CKOD/CKORP/CKORL 0
        '02' + // encryption mode: encrypt
        '03' + // decryption mode: mixed
        '01' + // algorithm index
        '00' + // key format 0: plain key
        '0000000000000000' + // reserved
        '0020' + // key length 32
        hexOf(key)
    )
  })

  it('clears the key with modes 0/0 and key length 0 (PBS set_encryption(None))', () => {
    expect(hexOf(buildSetDataEncryptionPage({ algorithmIndex: 1, key: null }))).toBe(
      '0010001040000000010000000000000000000000'
    )
  })

  it('other decryption modes on request; refuses wrong key sizes and keyless encryption', () => {
    expect(
      buildSetDataEncryptionPage({ algorithmIndex: 2, key, decryptionMode: 'decrypt' }).subarray(
        6,
        9
      )
    ).toEqual(Uint8Array.of(2, 2, 2))
    expect(() =>
      buildSetDataEncryptionPage({ algorithmIndex: 1, key: new Uint8Array(16) })
    ).toThrow(/32 bytes, got 16/)
    expect(() =>
      buildSetDataEncryptionPage({ algorithmIndex: 1, key: null, encryptionMode: 'encrypt' })
    ).toThrow(/needs a key/)
  })
})
