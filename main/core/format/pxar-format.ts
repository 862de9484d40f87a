import { FormatError } from './format-error'
import { siphash24 } from './siphash'

/**
 * The subset of the pxar v1 archive format (proxmox/pxar `src/format/mod.rs`) that PBS uses for
 * snapshot archives on tape: one root directory with regular files. All integers little endian.
 * Every item is `{ htype u64, full_size u64 (including these 16 bytes) }` + content.
 */

export const PXAR_ENTRY = 0xd5956474e588acefn
/** Pre-2020 ENTRY with a u64 nanosecond mtime; PBS tape archives never contain it. */
export const PXAR_ENTRY_V1 = 0x11da850a1c1cceffn
export const PXAR_FILENAME = 0x16701121063917b3n
export const PXAR_PAYLOAD = 0x28147a1b0b7c1a25n
export const PXAR_GOODBYE = 0x2fec4fa642d5731dn
export const PXAR_GOODBYE_TAIL_MARKER = 0xef5eed5b753e1555n

/** Item types pxar knows but PBS never writes into snapshot archives (named in errors). */
export const PXAR_OTHER_TYPES: ReadonlyMap<bigint, string> = new Map([
  [0x27f971e7dbf5dc5fn, 'SYMLINK'],
  [0x9fc9e906586d5ce9n, 'DEVICE'],
  [0x0dab0229b57dcd03n, 'XATTR'],
  [0x2ce8540a457d55b8n, 'ACL_USER'],
  [0x136e3eceb04c03abn, 'ACL_GROUP'],
  [0x10868031e9582876n, 'ACL_GROUP_OBJ'],
  [0xbbbb13415a6896f5n, 'ACL_DEFAULT'],
  [0xc89357b40532cd1fn, 'ACL_DEFAULT_USER'],
  [0xf90a8a5816038ffen, 'ACL_DEFAULT_GROUP'],
  [0x2da9dd9db5f7fb67n, 'FCAPS'],
  [0xe07540e82f7d1cbbn, 'QUOTA_PROJID'],
  [0x51269c8422bd7275n, 'HARDLINK'],
  [PXAR_ENTRY_V1, 'ENTRY_V1']
])

/** SipHash-2-4 keys for file names: sha1("PROXMOX ARCHIVE FORMAT") split in two. */
export const PXAR_HASH_KEY_1 = 0x83ac3f1cfbb450dbn
export const PXAR_HASH_KEY_2 = 0xaa4f1b6879369fbdn

export const PXAR_HEADER_SIZE = 16
export const PXAR_STAT_SIZE = 40
export const PXAR_GOODBYE_ITEM_SIZE = 24
/** pxar's MAX_FILENAME_LEN (= MAX_PATH_LEN = 4 KiB). */
export const PXAR_MAX_FILENAME_LEN = 4096

export const S_IFMT = 0o170000
export const S_IFDIR = 0o040000
export const S_IFREG = 0o100000

export function pxarTypeName(htype: bigint): string {
  switch (htype) {
    case PXAR_ENTRY:
      return 'ENTRY'
    case PXAR_FILENAME:
      return 'FILENAME'
    case PXAR_PAYLOAD:
      return 'PAYLOAD'
    case PXAR_GOODBYE:
      return 'GOODBYE'
    default:
      return PXAR_OTHER_TYPES.get(htype) ?? `UNKNOWN(${htype.toString(16)})`
  }
}

export function encodeItemHeader(htype: bigint, contentSize: number): Uint8Array {
  const out = new Uint8Array(PXAR_HEADER_SIZE)
  const dv = new DataView(out.buffer)
  dv.setBigUint64(0, htype, true)
  dv.setBigUint64(8, BigInt(contentSize + PXAR_HEADER_SIZE), true)
  return out
}

/** `Stat` as stored in an ENTRY item (40 bytes). */
export interface PxarStat {
  /** Full st_mode: file type bits + permissions. */
  mode: number
  /** pxar feature flags; PBS writes 0. */
  flags: bigint
  uid: number
  gid: number
  mtime: { secs: number; nanos: number }
}

/** mode u64 | flags u64 | uid u32 | gid u32 | mtime.secs i64 | mtime.nanos u32 | padding u32 (0). */
export function encodeStat(stat: PxarStat): Uint8Array {
  if (!Number.isSafeInteger(stat.mtime.secs)) throw new RangeError('mtime seconds out of range')
  if (
    !Number.isInteger(stat.mtime.nanos) ||
    stat.mtime.nanos < 0 ||
    stat.mtime.nanos > 999_999_999
  ) {
    throw new RangeError('mtime nanoseconds out of range')
  }
  const out = new Uint8Array(PXAR_STAT_SIZE)
  const dv = new DataView(out.buffer)
  dv.setBigUint64(0, BigInt(stat.mode), true)
  dv.setBigUint64(8, stat.flags, true)
  dv.setUint32(16, stat.uid >>> 0, true)
  dv.setUint32(20, stat.gid >>> 0, true)
  dv.setBigInt64(24, BigInt(stat.mtime.secs), true)
  dv.setUint32(32, stat.mtime.nanos, true)
  return out
}

export function decodeStat(bytes: Uint8Array): PxarStat {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, PXAR_STAT_SIZE)
  const mode = dv.getBigUint64(0, true)
  if (mode > 0xffff_ffffn)
    throw new FormatError(`pxar entry: mode ${mode.toString(8)} out of range`)
  const secs = dv.getBigInt64(24, true)
  if (secs > BigInt(Number.MAX_SAFE_INTEGER) || secs < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FormatError(`pxar entry: mtime ${secs} out of range`)
  }
  const nanos = dv.getUint32(32, true)
  if (nanos > 999_999_999)
    throw new FormatError(`pxar entry: mtime nanoseconds ${nanos} out of range`)
  return {
    mode: Number(mode),
    flags: dv.getBigUint64(8, true),
    uid: dv.getUint32(16, true),
    gid: dv.getUint32(20, true),
    mtime: { secs: Number(secs), nanos }
  }
}

/** Goodbye table item: hash of the name, distance back to its FILENAME, size of the item. */
export interface GoodbyeItem {
  hash: bigint
  offset: bigint
  size: bigint
}

export function encodeGoodbyeItems(items: readonly GoodbyeItem[]): Uint8Array {
  const out = new Uint8Array(items.length * PXAR_GOODBYE_ITEM_SIZE)
  const dv = new DataView(out.buffer)
  items.forEach((it, i) => {
    dv.setBigUint64(i * 24, it.hash, true)
    dv.setBigUint64(i * 24 + 8, it.offset, true)
    dv.setBigUint64(i * 24 + 16, it.size, true)
  })
  return out
}

export function decodeGoodbyeItems(bytes: Uint8Array): GoodbyeItem[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const items: GoodbyeItem[] = []
  for (let at = 0; at + PXAR_GOODBYE_ITEM_SIZE <= bytes.length; at += PXAR_GOODBYE_ITEM_SIZE) {
    items.push({
      hash: dv.getBigUint64(at, true),
      offset: dv.getBigUint64(at + 8, true),
      size: dv.getBigUint64(at + 16, true)
    })
  }
  return items
}

/** pxar `hash_filename`: SipHash-2-4 of the name bytes (without the terminating NUL). */
export function hashFilename(name: Uint8Array): bigint {
  return siphash24(PXAR_HASH_KEY_1, PXAR_HASH_KEY_2, name)
}

/** pxar `validate_filename`; returns an error message or undefined. */
export function filenameProblem(name: Uint8Array): string | undefined {
  if (name.length === 0) return 'illegal path found (empty)'
  if (name.includes(0x2f))
    return 'illegal path found (contains slashes, this is a security concern)'
  if (name.includes(0)) return 'illegal path found (contains NUL)'
  if (name.length === 1 && name[0] === 0x2e) return "illegal path found: '.'"
  if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return "illegal path found: '..'"
  if (name.length > PXAR_MAX_FILENAME_LEN) return `filename too long (> ${PXAR_MAX_FILENAME_LEN})`
  return undefined
}

/**
 * A file's mtime in nanoseconds (`fs.stat(…, { bigint: true }).mtimeNs`) as pxar stores it:
 * whole seconds rounded down plus non-negative nanoseconds, also before 1970 (pxar's
 * `StatxTimestamp::from_duration_before_epoch`).
 */
export function mtimeFromNs(ns: bigint): { secs: number; nanos: number } {
  let secs = ns / 1_000_000_000n
  let nanos = ns % 1_000_000_000n
  if (nanos < 0n) {
    secs -= 1n
    nanos += 1_000_000_000n
  }
  return { secs: Number(secs), nanos: Number(nanos) }
}
