/**
 * Tape data encryption pages of SECURITY PROTOCOL IN/OUT, protocol 0x20 (scsi.md §1.6,
 * pbs-tape.md §7.1): supported pages, Data Encryption Capabilities (0x0010), Data Encryption Status
 * (0x0020), Next Block Encryption Status (0x0021), and the Set Data Encryption page (0x0010) built
 * exactly as PBS builds it.
 */
import { ScsiDataError, put16, requireLength, u16, u32, uint } from './bytes'

export const EncryptionPage = {
  SUPPORTED_IN_PAGES: 0x0000,
  SUPPORTED_OUT_PAGES: 0x0001,
  CAPABILITIES: 0x0010,
  STATUS: 0x0020,
  NEXT_BLOCK_STATUS: 0x0021,
  SET_DATA_ENCRYPTION: 0x0010
} as const

/** AES-256-GCM, the algorithm LTO drives implement. */
export const AES_256_GCM = 0x00010014

function page(data: Uint8Array, code: number, min: number, what: string): Uint8Array {
  requireLength(data, Math.max(4, min), what)
  if (u16(data, 0) !== code)
    throw new ScsiDataError(
      `${what}: expected page 0x${code.toString(16).padStart(4, '0')}, got 0x${u16(data, 0).toString(16).padStart(4, '0')}`
    )
  return data.subarray(0, Math.min(data.length, 4 + u16(data, 2)))
}

/** Protocol 0x00 page 0x0000: the security protocols the device supports. */
export function parseSupportedSecurityProtocols(data: Uint8Array): number[] {
  requireLength(data, 8, 'supported security protocols')
  return [...data.subarray(8, Math.min(data.length, 8 + u16(data, 6)))]
}

/** Protocol 0x20 pages 0x0000 / 0x0001: the SPIN or SPOUT page codes the drive supports. */
export function parseSupportedEncryptionPages(data: Uint8Array): number[] {
  requireLength(data, 4, 'supported encryption pages')
  const p = data.subarray(0, Math.min(data.length, 4 + u16(data, 2)))
  const pages: number[] = []
  for (let o = 4; o + 2 <= p.length; o += 2) pages.push(u16(p, o))
  return pages
}

export interface EncryptionAlgorithm {
  index: number
  /** ENCRYPT_C / DECRYPT_C: 0 none, 1 software, 2 hardware, 3 reserved. */
  encryptCapable: number
  decryptCapable: number
  /** AVFMV: the algorithm is valid for the mounted volume. */
  validForMountedVolume: boolean
  /** SDK_C: supports separate decryption keys. */
  separateDecryptionKeys: boolean
  maxUnauthenticatedKadBytes: number
  maxAuthenticatedKadBytes: number
  keySize: number
  /** Security algorithm code, 0x00010014 = AES-256-GCM. */
  algorithmCode: number
}

export interface EncryptionCapabilities {
  /** CFG_P: 1 = encryption configuration is allowed, 2 = prevented (e.g. by a library policy). */
  configurationPrevented: number
  algorithms: EncryptionAlgorithm[]
}

/** Data Encryption Capabilities page 0x0010: a 20-byte header, then 24-byte algorithm descriptors. */
export function parseEncryptionCapabilities(data: Uint8Array): EncryptionCapabilities {
  const p = page(data, EncryptionPage.CAPABILITIES, 20, 'data encryption capabilities')
  const algorithms: EncryptionAlgorithm[] = []
  for (let o = 20; o < p.length; o += 4 + u16(p, o + 2)) {
    requireLength(p, o + 24, 'algorithm descriptor')
    if (u16(p, o + 2) !== 0x14)
      throw new ScsiDataError(
        `algorithm descriptor length 0x${u16(p, o + 2).toString(16)}, expected 0x14`
      )
    algorithms.push({
      index: p[o],
      encryptCapable: p[o + 4] & 0x03,
      decryptCapable: (p[o + 4] >> 2) & 0x03,
      validForMountedVolume: (p[o + 4] & 0x80) !== 0,
      separateDecryptionKeys: (p[o + 4] & 0x40) !== 0,
      maxUnauthenticatedKadBytes: u16(p, o + 6),
      maxAuthenticatedKadBytes: u16(p, o + 8),
      keySize: u16(p, o + 10),
      algorithmCode: u32(p, o + 20)
    })
  }
  return { configurationPrevented: p[4] & 0x03, algorithms }
}

/**
 * The algorithm index PBS would use: hardware encrypt and decrypt, AES-256-GCM, 32-byte key.
 * Null when the drive has none ("drive does not support AES-GCM encryption").
 */
export function aes256GcmIndex(caps: EncryptionCapabilities): number | null {
  const a = caps.algorithms.find(
    (x) =>
      x.encryptCapable === 2 &&
      x.decryptCapable === 2 &&
      x.algorithmCode === AES_256_GCM &&
      x.keySize === 32
  )
  return a ? a.index : null
}

export type EncryptionMode = 'disable' | 'external' | 'encrypt'
export type DecryptionMode = 'disable' | 'raw' | 'decrypt' | 'mixed'
const ENCRYPTION_MODES: EncryptionMode[] = ['disable', 'external', 'encrypt']
const DECRYPTION_MODES: DecryptionMode[] = ['disable', 'raw', 'decrypt', 'mixed']

/** (encryption, decryption) mode pairs as PBS names them; anything else is 'unknown'. */
export type EncryptionState = 'off' | 'on' | 'mixed' | 'raw-read' | 'unknown'

export interface EncryptionStatus {
  itNexusScope: number
  keyScope: number
  encryptionMode: EncryptionMode | number
  decryptionMode: DecryptionMode | number
  state: EncryptionState
  algorithmIndex: number
  keyInstanceCounter: number
  kadFormat: number
}

/** Data Encryption Status page 0x0020. */
export function parseEncryptionStatus(data: Uint8Array): EncryptionStatus {
  const p = page(data, EncryptionPage.STATUS, 16, 'data encryption status')
  const enc = p[5]
  const dec = p[6]
  const state: EncryptionState =
    enc === 0 && dec === 0
      ? 'off'
      : enc === 2 && dec === 2
        ? 'on'
        : enc === 2 && dec === 3
          ? 'mixed'
          : enc === 2 && dec === 1
            ? 'raw-read'
            : 'unknown'
  return {
    itNexusScope: p[4] >> 5,
    keyScope: p[4] & 0x07,
    encryptionMode: ENCRYPTION_MODES[enc] ?? enc,
    decryptionMode: DECRYPTION_MODES[dec] ?? dec,
    state,
    algorithmIndex: p[7],
    keyInstanceCounter: u32(p, 8),
    kadFormat: p[13]
  }
}

/** Encryption status of the next block (page 0x0021, byte 12 bits 3:0). */
export const BLOCK_ENCRYPTION_STATUS: Readonly<Record<number, string>> = Object.freeze({
  0: 'unknown',
  1: 'not a logical block',
  2: 'not yet read',
  3: 'not encrypted',
  4: 'encrypted, algorithm not supported',
  5: 'encrypted, key available',
  6: 'encrypted, key not available'
})

export interface NextBlockEncryptionStatus {
  logicalObjectNumber: number
  compressionStatus: number
  encryptionStatus: number
  algorithmIndex: number
  kadFormat: number
}

/** Next Block Encryption Status page 0x0021: tells which key the next block needs. */
export function parseNextBlockEncryptionStatus(data: Uint8Array): NextBlockEncryptionStatus {
  const p = page(data, EncryptionPage.NEXT_BLOCK_STATUS, 16, 'next block encryption status')
  return {
    logicalObjectNumber: uint(p, 4, 8),
    compressionStatus: p[12] >> 4,
    encryptionStatus: p[12] & 0x0f,
    algorithmIndex: p[13],
    kadFormat: p[15]
  }
}

export interface SetDataEncryption {
  algorithmIndex: number
  /** 32-byte key; null turns encryption off (modes disable/disable, key length 0). */
  key: Uint8Array | null
  /** Defaults as PBS: 'encrypt' with a key. */
  encryptionMode?: EncryptionMode
  /** Defaults as PBS: 'mixed' with a key, so plain label blocks stay readable. */
  decryptionMode?: DecryptionMode
}

/**
 * Set Data Encryption page 0x0010 for SECURITY PROTOCOL OUT, byte for byte as PBS: scope ALL I_T
 * NEXUS (0x40), control byte 0 (CKOD/CKORP/CKORL clear), modes, algorithm index, key format 0
 * (plain key), 8 reserved bytes, key length, key.
 */
export function buildSetDataEncryptionPage(o: SetDataEncryption): Uint8Array {
  if (o.key && o.key.length !== 32)
    throw new RangeError(`encryption key must be 32 bytes, got ${o.key.length}`)
  const encryption = o.encryptionMode ?? (o.key ? 'encrypt' : 'disable')
  const decryption = o.decryptionMode ?? (o.key ? 'mixed' : 'disable')
  if (!o.key && (encryption === 'encrypt' || decryption === 'decrypt' || decryption === 'mixed')) {
    throw new RangeError(`encryption mode ${encryption}/${decryption} needs a key`)
  }
  const keyLength = o.key ? o.key.length : 0
  const out = new Uint8Array(20 + keyLength)
  put16(out, 0, EncryptionPage.SET_DATA_ENCRYPTION)
  put16(out, 2, out.length - 4)
  out[4] = 0x02 << 5
  out[6] = ENCRYPTION_MODES.indexOf(encryption)
  out[7] = DECRYPTION_MODES.indexOf(decryption)
  out[8] = o.algorithmIndex & 0xff
  put16(out, 18, keyLength)
  if (o.key) out.set(o.key, 20)
  return out
}
