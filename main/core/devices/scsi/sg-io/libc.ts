/**
 * The few libc calls SG_IO needs, through koffi (an FFI with prebuilt binaries from npm, so no
 * compiler and no rebuild per Node/Electron version). koffi loads on first use only: Tapedeck runs
 * without it (virtual library, iSCSI) and says what is missing when a /dev path is opened.
 *
 * Native memory is addressed by plain numbers (x86-64 user addresses fit in 47 bits). Memory from
 * `alloc` does not move and is not garbage collected, so it stays valid while the ioctl runs on a
 * koffi worker thread, whatever the JS side does meanwhile; the caller frees it afterwards.
 */
import type Koffi from 'koffi'

export interface Libc {
  open(path: string, flags: number): number
  close(fd: number): number
  fcntl(fd: number, command: number, argument: number): number
  ioctl(fd: number, request: number, argument: number): number
  /**
   * ioctl on a koffi worker thread (SG_IO blocks until the device answers: minutes for a REWIND),
   * with that thread's errno.
   */
  ioctlAsync(
    fd: number,
    request: number,
    argument: number
  ): Promise<{ result: number; errno: number }>
  /** Page-aligned native memory, zero-filled. */
  alloc(size: number): number
  free(address: number): void
  copyIn(address: number, bytes: Uint8Array): void
  copyOut(address: number, length: number): Uint8Array
  readInt32(address: number): number
  /** errno of the last synchronous call. */
  errno(): number
}

export const O_RDWR = 2
export const O_NONBLOCK = 0o4000
export const O_CLOEXEC = 0o2000000
export const F_GETFL = 3
export const F_SETFL = 4
const PAGE = 4096

let loading: Promise<Libc> | null = null

export function loadLibc(): Promise<Libc> {
  loading ??= bind().catch((error: unknown) => {
    loading = null
    throw error
  })
  return loading
}

async function bind(): Promise<Libc> {
  if (process.platform !== 'linux') {
    throw new Error(`SG_IO device access needs Linux (this is ${process.platform})`)
  }
  let koffi: typeof Koffi
  try {
    koffi = (await import('koffi')).default
  } catch (error) {
    throw new Error(
      `local SCSI devices (/dev/…) need the npm package koffi, which is not installed or does not load here (${(error as Error).message}); reinstall Tapedeck's dependencies or use an iscsi:// address`,
      { cause: error }
    )
  }
  const lib = koffi.load('libc.so.6')
  // ioctl and fcntl are variadic in C; declaring the one argument we pass as a fixed parameter is
  // the same call on x86-64/arm64 Linux, and only fixed-argument functions have koffi's `.async`.
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, uintptr_t argp)')
  const memalign = lib.func(
    'int posix_memalign(_Out_ uintptr_t *memptr, size_t align, size_t size)'
  )
  const memset = lib.func('void *memset(uintptr_t s, int c, size_t n)')
  const memcpyIn = lib.func('void *memcpy(uintptr_t dest, const void *src, size_t n)')
  const memcpyOut = lib.func('void *memcpy(_Out_ void *dest, uintptr_t src, size_t n)')
  const free = lib.func('void free(uintptr_t ptr)')
  const open = lib.func('int open(const char *path, int flags)')
  const close = lib.func('int close(int fd)')
  const fcntl = lib.func('int fcntl(int fd, int cmd, int arg)')

  return {
    open: (path, flags) => open(path, flags) as number,
    close: (fd) => close(fd) as number,
    fcntl: (fd, command, argument) => fcntl(fd, command, argument) as number,
    ioctl: (fd, request, argument) => ioctl(fd, request, argument) as number,
    ioctlAsync: (fd, request, argument) =>
      new Promise((resolve, reject) => {
        ioctl.async(fd, request, argument, (error: unknown, result: number) => {
          // koffi sets the worker's errno only while this callback runs
          if (error) reject(error instanceof Error ? error : new Error(String(error)))
          else resolve({ result, errno: result < 0 ? koffi.errno() : 0 })
        })
      }),
    alloc(size) {
      const out: (number | null)[] = [null]
      const rc = memalign(out, PAGE, Math.max(size, 1)) as number
      if (rc !== 0 || !out[0]) throw new Error(`cannot allocate ${size} bytes of native memory`)
      memset(out[0], 0, size)
      return Number(out[0])
    },
    free: (address) => free(address),
    copyIn(address, bytes) {
      if (bytes.length > 0) memcpyIn(address, bytes, bytes.length)
    },
    copyOut(address, length) {
      const bytes = Buffer.alloc(length)
      if (length > 0) memcpyOut(bytes, address, length)
      return bytes
    },
    readInt32: (address) => koffi.decode(address, 'int32_t') as number,
    errno: () => koffi.errno()
  }
}
