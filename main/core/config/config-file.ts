import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../api/errors'
import { writeFileAtomic } from '../util/atomic-write'
import { withFileLock } from '../util/file-lock'
import {
  formatSectionConfig,
  parseSectionConfig,
  type Section,
  type SectionTypeSchema
} from './section-config'

export interface ConfigSnapshot {
  sections: Section[]
  /** SHA-256 of the file text, as PBS computes it, for optimistic concurrency on updates. */
  digest: string
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * One section-config file in the Tapedeck home. Reads parse strictly; writes happen under the
 * file's lock on freshly read content and replace the file atomically.
 */
export class ConfigFile {
  readonly path: string
  private readonly lockPath: string

  constructor(
    home: string,
    readonly name: string,
    private readonly types: Record<string, SectionTypeSchema>,
    private readonly onChange: () => void = () => undefined
  ) {
    this.path = join(home, name)
    // Not PBS's `.tape.lck` names: PBS keeps those files forever (it uses flock), and one copied
    // over from a PBS host must not look like a held lock.
    this.lockPath = join(home, `.${name}.lock`)
  }

  async read(): Promise<ConfigSnapshot> {
    let text = ''
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    return { sections: parseSectionConfig(this.name, text, this.types), digest: sha256(text) }
  }

  /**
   * Apply `change` to the current sections and write the result. With `expectedDigest`, refuse
   * when the file changed since the caller read it.
   */
  async update<T>(
    change: (sections: Section[]) => T | Promise<T>,
    expectedDigest?: string
  ): Promise<T> {
    const result = await withFileLock(this.lockPath, async () => {
      const { sections, digest } = await this.read()
      if (expectedDigest !== undefined && expectedDigest !== digest) {
        throw new ApiError(
          'conflict',
          `${this.name} was changed by someone else since it was read; reload and try again`
        )
      }
      const value = await change(sections)
      await writeFileAtomic(this.path, formatSectionConfig(sections))
      return value
    })
    this.onChange()
    return result
  }
}
