/** Media pools in media-pool.cfg. */
import type { ApiArgs, PoolConfig } from '../api/contract'
import { ApiError } from '../api/errors'
import type { ConfigFile } from './config-file'
import { checkAllocation, checkRetention, checkTemplate } from './pool-policy'
import type { Section } from './section-config'
import {
  assertNewId,
  deleteProperties,
  findSection,
  optionalString,
  requireValid,
  setProperties
} from './sections'

function toPool(s: Section): PoolConfig {
  const p = s.properties
  return {
    name: s.id,
    allocation: optionalString(p.allocation),
    retention: optionalString(p.retention),
    template: optionalString(p.template),
    encrypt: optionalString(p.encrypt),
    comment: optionalString(p.comment)
  }
}

type PoolFields = Pick<
  ApiArgs<'pool.create'>,
  'allocation' | 'retention' | 'template' | 'encrypt' | 'comment'
>

function validate(fields: PoolFields): void {
  if (fields.allocation !== undefined) requireValid(checkAllocation(fields.allocation))
  if (fields.retention !== undefined) requireValid(checkRetention(fields.retention))
  if (fields.template !== undefined) requireValid(checkTemplate(fields.template))
}

const fieldsOf = (args: PoolFields) => ({
  allocation: args.allocation,
  retention: args.retention,
  template: args.template,
  encrypt: args.encrypt?.toLowerCase(),
  comment: args.comment
})

export class PoolConfigService {
  constructor(
    private readonly file: ConfigFile,
    private readonly jobs: ConfigFile
  ) {}

  async list(): Promise<PoolConfig[]> {
    const { sections } = await this.file.read()
    return sections.map(toPool)
  }

  async get(name: string): Promise<{ config: PoolConfig; digest: string }> {
    const { sections, digest } = await this.file.read()
    return { config: toPool(findSection(sections, name, 'media pool')), digest }
  }

  async create(args: ApiArgs<'pool.create'>): Promise<void> {
    validate(args)
    await this.file.update((sections) => {
      assertNewId(sections, args.name)
      const section: Section = { type: 'pool', id: args.name, properties: {} }
      setProperties(section, fieldsOf(args))
      sections.push(section)
    })
  }

  async update(args: ApiArgs<'pool.update'>): Promise<void> {
    validate(args)
    await this.file.update((sections) => {
      const section = findSection(sections, args.name, 'media pool')
      deleteProperties(section, args.delete)
      setProperties(section, fieldsOf(args))
    }, args.digest)
  }

  async remove(name: string, digest?: string): Promise<void> {
    // PBS removes pools that backup jobs still name; those jobs then fail at their next run.
    // Refusing is kinder: the admin sees which job to change first.
    const { sections: jobs } = await this.jobs.read()
    const users = jobs.filter((job) => job.properties.pool === name).map((job) => `'${job.id}'`)
    if (users.length > 0) {
      throw new ApiError('in-use', `media pool '${name}' is used by backup job ${users.join(', ')}`)
    }
    await this.file.update((sections) => {
      const section = findSection(sections, name, 'media pool')
      sections.splice(sections.indexOf(section), 1)
    }, digest)
  }
}
