/**
 * A demo VM disk through its snapshots, as fixed 4 MiB chunks: zero regions, used regions with
 * text-like data (zstd shrinks them) and regions of incompressible data. The first quarter comes
 * from a template shared by all demo VMs (cloned from the same image) until a snapshot rewrites
 * it. Between snapshots 5–10 % of the chunks (at least one) are rewritten; all others keep their
 * content and so their digest.
 */
import { fillBlocks } from './demo-content'
import { DemoRandom } from './demo-random'

export const FIXED_CHUNK_SIZE = 4 * 1024 * 1024

type ChunkKind = 'zero' | 'text' | 'random'

export class DiskModel {
  readonly count: number
  private readonly kinds: ChunkKind[]
  private readonly gens: number[]
  private readonly templateCount: number
  private snapshot = 0

  constructor(
    private readonly seed: string,
    private readonly vmid: string,
    private readonly host: string,
    readonly size: number
  ) {
    const n = Math.ceil(size / FIXED_CHUNK_SIZE)
    this.count = n
    this.gens = new Array<number>(n).fill(0)
    this.templateCount = n >= 4 ? Math.round(n / 4) : n >= 2 ? 1 : 0
    const template = DemoRandom.fromKey(seed, 'template', 'layout')
    const kinds: ChunkKind[] = ['text']
    for (let i = 1; i < this.templateCount; i++) {
      const x = template.float()
      kinds.push(x < 0.6 ? 'text' : x < 0.85 ? 'random' : 'zero')
    }
    // The VM's own part: ~30 % zeros and ~25 % random data, at least one of each if there is room.
    const own = n - kinds.length
    const zeros = Math.min(own, Math.max(1, Math.round(n * 0.3)))
    const randoms = Math.min(own - zeros, Math.max(1, Math.round(n * 0.25)))
    const rest: ChunkKind[] = [
      ...new Array<ChunkKind>(zeros).fill('zero'),
      ...new Array<ChunkKind>(randoms).fill('random'),
      ...new Array<ChunkKind>(own - zeros - randoms).fill('text')
    ]
    this.kinds = [...kinds, ...DemoRandom.fromKey(seed, 'vm', vmid, 'layout').shuffle(rest)].slice(
      0,
      n
    )
  }

  chunkLength(i: number): number {
    return Math.min(FIXED_CHUNK_SIZE, this.size - i * FIXED_CHUNK_SIZE)
  }

  /** Names the content of chunk i: equal keys, equal bytes (and so the same digest). */
  chunkKey(i: number): string {
    if (this.kinds[i] === 'zero') return `zero/${this.chunkLength(i)}`
    if (i < this.templateCount && this.gens[i] === 0) return `template/${i}`
    return `vm/${this.vmid}/${i}/${this.gens[i]}`
  }

  /** Writes chunk i's content into `out` (exactly chunkLength(i) bytes). */
  fill(i: number, out: Uint8Array): void {
    const key = this.chunkKey(i)
    const rng = DemoRandom.fromKey(this.seed, 'disk', key)
    // Template chunks are the same in every VM, host names in their logs included.
    const host = key.startsWith('template/') ? 'debian' : this.host
    switch (this.kinds[i]) {
      case 'zero':
        out.fill(0)
        break
      case 'random':
        rng.fill(out)
        break
      case 'text':
        fillBlocks(out, rng, { text: 0.7, zero: 0.15, random: 0.15 }, host)
        break
    }
  }

  /** Moves to the next snapshot: rewrites a few used chunks, sometimes fills a zero one. */
  advance(): void {
    const s = ++this.snapshot
    const rng = DemoRandom.fromKey(this.seed, 'vm', this.vmid, 'changes', s)
    const used: number[] = []
    const zero: number[] = []
    this.kinds.forEach((kind, i) => (kind === 'zero' ? zero : used).push(i))
    const changes = Math.max(1, Math.round(this.count * (0.05 + 0.05 * rng.float())))
    for (const i of rng.shuffle(used.length > 0 ? used : zero).slice(0, changes)) this.gens[i] = s
    if (zero.length > 1 && rng.chance(0.3)) {
      const i = rng.pick(zero)
      this.kinds[i] = 'text'
      this.gens[i] = s
    }
  }
}
