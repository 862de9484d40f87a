/**
 * The file sets behind the demo's pxar archives (a container's root, a host's /etc and /home) and
 * how they change from one snapshot to the next: logs grow, a database file gets a block or two
 * rewritten, every other day a config file is edited, now and then a binary is upgraded. The rest
 * stays byte-identical, metadata included, so most of the archive's chunks repeat.
 */
import { S_IFDIR, S_IFREG, type PxarStat } from '../format/pxar-format'
import { fillBlocks, textOfSize, TextSource, type TextStyle } from './demo-content'
import { DemoRandom } from './demo-random'

const BLOCK = 64 * 1024

type FileKind =
  /** Small text file; rewritten as a whole when edited. */
  | 'config'
  /** Text that only grows (appended lines). */
  | 'log'
  /** Random bytes behind a magic (executables, libraries, photos, archives). */
  | 'binary'
  /** 64 KiB blocks of text, zeros and random data; edits rewrite single blocks. */
  | 'data'

interface FileSpec {
  name: string
  kind: FileKind
  size: number
  style?: TextStyle
  /** Bytes a log grows by per snapshot, on average. */
  growth?: number
  /** Exact content (config files whose text matters, e.g. hostname). */
  text?: string
  magic?: readonly number[]
  mode?: number
}

export type ArchiveKind = 'ct-root' | 'host-etc' | 'host-home'

const ELF = [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]
const GZIP = [0x1f, 0x8b, 0x08, 0x00]
const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]
const PDF = [...Buffer.from('%PDF-1.7\n')]
const SQLITE = [...Buffer.from('SQLite format 3\0')]
const TAR_MAGIC_AT = 257

function configFiles(rng: DemoRandom, host: string, names: readonly string[]): FileSpec[] {
  const fixed: Record<string, string> = {
    hostname: `${host}\n`,
    hosts: `127.0.0.1\tlocalhost\n127.0.1.1\t${host}.example.lan ${host}\n\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    'resolv.conf': 'search example.lan\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n',
    'os-release':
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
  }
  return names.map((name) =>
    fixed[name] !== undefined
      ? { name, kind: 'config', size: fixed[name].length, text: fixed[name] }
      : {
          name,
          kind: 'config',
          size: rng.range(300, 6000),
          mode: name === 'shadow' ? 0o640 : 0o644
        }
  )
}

/** The files of one archive at the first snapshot, `budget` bytes in total (roughly). */
function archiveFiles(
  kind: ArchiveKind,
  rng: DemoRandom,
  host: string,
  budget: number
): FileSpec[] {
  const part = (f: number): number =>
    Math.max(4096, Math.round(budget * f * (0.85 + 0.3 * rng.float())))
  const blocks = (f: number): number => Math.max(2, Math.round(part(f) / BLOCK)) * BLOCK
  switch (kind) {
    case 'ct-root':
      return [
        ...configFiles(rng, host, [
          'hostname',
          'hosts',
          'resolv.conf',
          'os-release',
          'passwd',
          'group',
          'shadow',
          'fstab',
          'sshd_config',
          'nginx.conf',
          'crontab',
          'sysctl.conf'
        ]),
        { name: 'syslog', kind: 'log', style: 'syslog', size: part(0.14), growth: part(0.012) },
        { name: 'access.log', kind: 'log', style: 'access', size: part(0.1), growth: part(0.01) },
        // Rotated: no longer written to.
        { name: 'auth.log.1', kind: 'log', style: 'syslog', size: part(0.06), growth: 0 },
        { name: 'busybox', kind: 'binary', size: part(0.08), magic: ELF, mode: 0o755 },
        { name: 'libc.so.6', kind: 'binary', size: part(0.12), magic: ELF, mode: 0o755 },
        { name: 'app-server', kind: 'binary', size: part(0.14), magic: ELF, mode: 0o755 },
        { name: 'app.db', kind: 'data', size: blocks(0.18), magic: SQLITE },
        { name: 'static.tar.gz', kind: 'binary', size: part(0.1), magic: GZIP }
      ]
    case 'host-etc':
      return [
        ...configFiles(rng, host, [
          'hostname',
          'hosts',
          'resolv.conf',
          'os-release',
          'passwd',
          'group',
          'shadow',
          'fstab',
          'sshd_config',
          'ssh_config',
          'sudoers',
          'crontab',
          'sysctl.conf',
          'nsswitch.conf',
          'interfaces',
          'chrony.conf',
          'logrotate.conf',
          'apt-sources.list'
        ]),
        { name: 'ca-certificates.crt', kind: 'config', size: part(0.3) },
        {
          name: 'ld.so.cache',
          kind: 'binary',
          size: part(0.25),
          magic: [...Buffer.from('glibc-ld.so.cache1.1')]
        }
      ]
    case 'host-home':
      return [
        ...configFiles(rng, host, ['.bashrc', '.profile', '.gitconfig']),
        {
          name: '.bash_history',
          kind: 'log',
          style: 'shell',
          size: part(0.02),
          growth: part(0.002)
        },
        { name: 'mail.mbox', kind: 'log', style: 'prose', size: part(0.22), growth: part(0.02) },
        { name: 'notes.md', kind: 'config', style: 'prose', size: part(0.04) },
        { name: 'todo.txt', kind: 'config', style: 'prose', size: part(0.005) },
        { name: 'photo-0001.jpg', kind: 'binary', size: part(0.12), magic: JPEG },
        { name: 'photo-0002.jpg', kind: 'binary', size: part(0.1), magic: JPEG },
        { name: 'thesis.pdf', kind: 'binary', size: part(0.08), magic: PDF },
        { name: 'projects.tar', kind: 'data', size: blocks(0.25) }
      ]
  }
}

interface FileState {
  spec: FileSpec
  size: number
  /** Bumped when a config or binary is rewritten. */
  gen: number
  /** Per 64 KiB block of a data file: the snapshot that last wrote it. */
  blockGens: number[]
  mtime: { secs: number; nanos: number }
}

export interface ArchiveFile {
  name: string
  stat: PxarStat
  content: Uint8Array
}

/**
 * One archive of one backup group through its snapshots: `advance` moves it to the next
 * snapshot, `files` produces the current files (sorted by name, as pxar stores them).
 */
export class ArchiveModel {
  private readonly states: FileState[]
  private readonly owner: { uid: number; gid: number }
  private readonly rootMtime: { secs: number; nanos: number }
  private snapshot = 0
  private cache = new Map<string, Uint8Array>()

  constructor(
    private readonly seedKey: string,
    readonly kind: ArchiveKind,
    private readonly host: string,
    budget: number,
    firstEpoch: number
  ) {
    const rng = DemoRandom.fromKey(seedKey, 'layout')
    this.owner = kind === 'host-home' ? { uid: 1000, gid: 1000 } : { uid: 0, gid: 0 }
    this.rootMtime = { secs: firstEpoch - rng.range(86_400, 90 * 86_400), nanos: rng.int(1e9) }
    this.states = archiveFiles(kind, rng, host, budget)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((spec) => ({
        spec,
        size: spec.size,
        gen: 0,
        blockGens: spec.kind === 'data' ? new Array<number>(spec.size / BLOCK).fill(0) : [],
        mtime: { secs: firstEpoch - rng.range(3600, 180 * 86_400), nanos: rng.int(1e9) }
      }))
  }

  /** Sum of the current file sizes (the source bytes the next `files()` produces). */
  get contentSize(): number {
    return this.states.reduce((sum, s) => sum + s.size, 0)
  }

  /** Applies the changes between the current and the next snapshot, taken at `epoch`. */
  advance(epoch: number): void {
    const s = ++this.snapshot
    const rng = DemoRandom.fromKey(this.seedKey, 'changes', s)
    const touch = (state: FileState) => {
      state.mtime = { secs: epoch - rng.range(60, 20 * 3600), nanos: rng.int(1e9) }
    }
    for (const state of this.states) {
      if (state.spec.kind === 'log' && state.spec.growth) {
        state.size += Math.round((state.spec.growth ?? 0) * (0.5 + rng.float()))
        touch(state)
      } else if (state.spec.kind === 'data') {
        const edits = rng.range(1, 2)
        for (let i = 0; i < edits; i++) state.blockGens[rng.int(state.blockGens.length)] = s
        touch(state)
      }
    }
    const editable = this.states.filter(
      (st) => st.spec.kind === 'config' && st.spec.text === undefined
    )
    if (editable.length > 0 && rng.chance(0.5)) {
      const edited = rng.pick(editable)
      edited.gen = s
      touch(edited)
    }
    const binaries = this.states.filter((st) => st.spec.kind === 'binary')
    if (binaries.length > 0 && rng.chance(0.2)) {
      const upgraded = rng.pick(binaries)
      upgraded.gen = s
      touch(upgraded)
    }
  }

  /** The current files, generated one at a time (unchanged ones come from a small cache). */
  *files(): Generator<ArchiveFile> {
    const next = new Map<string, Uint8Array>()
    for (const state of this.states) {
      const key = `${state.spec.name}|${state.gen}|${state.size}|${state.blockGens.join(',')}`
      const content = this.cache.get(key) ?? this.generate(state)
      next.set(key, content)
      const mode = S_IFREG | (state.spec.mode ?? 0o644)
      yield {
        name: state.spec.name,
        stat: { mode, flags: 0n, ...this.owner, mtime: state.mtime },
        content
      }
    }
    this.cache = next
  }

  rootStat(): PxarStat {
    const mode = S_IFDIR | (this.kind === 'host-home' ? 0o750 : 0o755)
    return { mode, flags: 0n, ...this.owner, mtime: this.rootMtime }
  }

  private generate(state: FileState): Uint8Array {
    const { spec } = state
    const base = [this.seedKey, 'file', spec.name]
    switch (spec.kind) {
      case 'config': {
        if (spec.text !== undefined) return Buffer.from(spec.text, 'latin1')
        const rng = DemoRandom.fromKey(...base, state.gen)
        return textOfSize(state.size, new TextSource(rng, spec.style ?? 'config', this.host))
      }
      case 'log': {
        // Same key at every size: a longer log starts with the shorter one.
        const rng = DemoRandom.fromKey(...base)
        return textOfSize(state.size, new TextSource(rng, spec.style ?? 'syslog', this.host))
      }
      case 'binary': {
        const out = DemoRandom.fromKey(...base, state.gen).bytes(state.size)
        if (spec.magic) out.set(spec.magic.slice(0, out.length))
        return out
      }
      case 'data': {
        const out = new Uint8Array(state.size)
        state.blockGens.forEach((gen, b) => {
          const rng = DemoRandom.fromKey(...base, 'block', b, gen)
          const mix = { text: 0.5, zero: 0.3, random: 0.2 }
          fillBlocks(out.subarray(b * BLOCK, (b + 1) * BLOCK), rng, mix, this.host)
        })
        if (spec.magic) out.set(spec.magic)
        else if (spec.name.endsWith('.tar')) out.set(Buffer.from('ustar\x0000'), TAR_MAGIC_AT)
        return out
      }
    }
  }
}
