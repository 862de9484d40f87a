/** The datastore registry in datastore.cfg (which datastores Tapedeck knows and where they are). */
import { stat } from 'node:fs/promises'
import { isAbsolute, normalize } from 'node:path'
import type { ApiArgs, DatastoreConfig } from '../api/contract'
import { ApiError, invalidArgument } from '../api/errors'
import type { ConfigFile } from './config-file'
import type { Section } from './section-config'
import { assertNewId, findSection, setProperties } from './sections'

function toDatastore(s: Section): DatastoreConfig {
  const extra = Object.fromEntries(
    Object.entries(s.properties).map(([key, value]) => [key, String(value)])
  )
  return { ...extra, name: s.id, path: String(s.properties.path) }
}

async function checkDirectory(path: string): Promise<string> {
  if (!isAbsolute(path)) throw invalidArgument(`datastore path '${path}' must be absolute`)
  const clean = normalize(path).replace(/\/+$/, '') || '/'
  let info
  try {
    info = await stat(clean)
  } catch {
    throw invalidArgument(`datastore path ${clean} does not exist`)
  }
  if (!info.isDirectory()) throw invalidArgument(`datastore path ${clean} is not a directory`)
  return clean
}

export class DatastoreConfigService {
  constructor(
    private readonly file: ConfigFile,
    private readonly jobs: ConfigFile
  ) {}

  async list(): Promise<DatastoreConfig[]> {
    const { sections } = await this.file.read()
    return sections.map(toDatastore)
  }

  async get(name: string): Promise<{ config: DatastoreConfig; digest: string }> {
    const { sections, digest } = await this.file.read()
    return { config: toDatastore(findSection(sections, name, 'datastore')), digest }
  }

  async add(args: ApiArgs<'datastore.add'>): Promise<void> {
    const path = await checkDirectory(args.path)
    await this.file.update((sections) => {
      assertNewId(sections, args.name)
      const other = sections.find((s) => s.properties.path === path)
      if (other)
        throw new ApiError('in-use', `${path} is already registered as datastore '${other.id}'`)
      const section: Section = { type: 'datastore', id: args.name, properties: { path } }
      setProperties(section, { comment: args.comment })
      sections.push(section)
    })
  }

  /** Forget a datastore; its files stay where they are. */
  async remove(name: string, digest?: string): Promise<void> {
    const { sections: jobs } = await this.jobs.read()
    const users = jobs.filter((job) => job.properties.store === name).map((job) => `'${job.id}'`)
    if (users.length > 0) {
      throw new ApiError('in-use', `datastore '${name}' is used by backup job ${users.join(', ')}`)
    }
    await this.file.update((sections) => {
      const section = findSection(sections, name, 'datastore')
      sections.splice(sections.indexOf(section), 1)
    }, digest)
  }
}
