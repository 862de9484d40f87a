import type { BlockSink, BlockSource } from '../../../main/core/format/block-io'

export type TapeMark = Uint8Array | 'filemark'

/**
 * A tape in memory for format tests: a sequence of blocks and filemarks, one position for writing
 * (append) and one for reading. Optional early warning once a number of blocks has been written.
 */
export class MemoryTape implements BlockSink, BlockSource {
  readonly marks: TapeMark[] = []
  private readPos = 0
  blocksWritten = 0

  constructor(private readonly leomAfterBlocks = Infinity) {}

  async writeBlock(block: Uint8Array): Promise<{ leom: boolean }> {
    this.marks.push(block.slice())
    this.blocksWritten++
    return { leom: this.blocksWritten >= this.leomAfterBlocks }
  }

  async writeFilemark(): Promise<void> {
    this.marks.push('filemark')
  }

  async readBlock(): Promise<Uint8Array | 'filemark' | 'end-of-data'> {
    if (this.readPos >= this.marks.length) return 'end-of-data'
    return this.marks[this.readPos++]
  }

  rewind(): void {
    this.readPos = 0
  }

  /** Blocks of file `n` (0-based), without the filemark. */
  file(n: number): Uint8Array[] {
    const files: Uint8Array[][] = [[]]
    for (const m of this.marks) {
      if (m === 'filemark') files.push([])
      else files[files.length - 1].push(m)
    }
    return files[n] ?? []
  }

  static of(marks: TapeMark[]): MemoryTape {
    const t = new MemoryTape()
    t.marks.push(...marks)
    return t
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Uint8Array =>
  Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))

/** Fast byte equality (vitest's deep equality walks large typed arrays element by element). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.compare(a, b) === 0
