/**
 * Tape backup jobs in tape-job.cfg (section type `backup`, PBS `TapeBackupJobConfig`), with their
 * run state (jobs/job-state.ts) for the job list. Files PBS wrote load and are written back
 * byte for byte; a job changed here is written the way PBS writes it (keys sorted, one line per
 * group filter, filters without the default `include:`).
 */
import type { ApiArgs, BackupJobConfig, BackupJobStatus } from '../api/contract'
import { invalidArgument } from '../api/errors'
import { lastRunFields, nextRunTime, type JobStateStore } from '../jobs/job-state'
import { CalendarEventError, parseCalendarEvent } from '../media/calendar-event'
import {
  checkGroupFilterValue,
  checkNamespace,
  checkNamespaceRecursion,
  checkNotificationMode,
  checkSchedule,
  checkUserid
} from './backup-job-fields'
import type { ConfigFile } from './config-file'
import { normalizeGroupFilter } from './group-filter'
import type { Section, SectionValue } from './section-config'
import {
  assertNewId,
  deleteProperties,
  findSection,
  optionalBoolean,
  optionalNumber,
  optionalString,
  requireValid,
  setProperties
} from './sections'

const WHAT = 'backup job'

export function toBackupJob(s: Section): BackupJobConfig {
  const p = s.properties
  const filters = p['group-filter']
  return {
    id: s.id,
    store: String(p.store),
    pool: String(p.pool),
    drive: String(p.drive),
    schedule: optionalString(p.schedule),
    'eject-media': optionalBoolean(p['eject-media']),
    'export-media-set': optionalBoolean(p['export-media-set']),
    'latest-only': optionalBoolean(p['latest-only']),
    'notify-user': optionalString(p['notify-user']),
    'notification-mode': optionalString(p['notification-mode']),
    'group-filter': Array.isArray(filters) ? [...filters] : undefined,
    ns: optionalString(p.ns),
    'max-depth': optionalNumber(p['max-depth']),
    'worker-threads': optionalNumber(p['worker-threads']),
    comment: optionalString(p.comment)
  }
}

type JobFields = Omit<ApiArgs<'backup-job.update'>, 'id' | 'delete' | 'digest'>

function validate(fields: JobFields): void {
  if (fields.schedule !== undefined) requireValid(checkSchedule(fields.schedule))
  if (fields['notify-user'] !== undefined) requireValid(checkUserid(fields['notify-user']))
  if (fields['notification-mode'] !== undefined) {
    requireValid(checkNotificationMode(fields['notification-mode']))
  }
  for (const filter of fields['group-filter'] ?? []) requireValid(checkGroupFilterValue(filter))
  if (fields.ns !== undefined) requireValid(checkNamespace(fields.ns))
}

/** Values as they are stored; undefined = not given. Empty ns/comment/filter list mean "unset". */
function valuesOf(fields: JobFields): {
  set: Record<string, SectionValue | undefined>
  unset: string[]
} {
  const comment = fields.comment?.trim()
  const filters = fields['group-filter']?.map(normalizeGroupFilter)
  const unset = [
    ...(fields.ns === '' ? ['ns'] : []),
    ...(comment === '' ? ['comment'] : []),
    ...(filters?.length === 0 ? ['group-filter'] : [])
  ]
  return {
    set: {
      store: fields.store,
      pool: fields.pool,
      drive: fields.drive,
      schedule: fields.schedule?.trim(),
      'eject-media': fields['eject-media'],
      'export-media-set': fields['export-media-set'],
      'latest-only': fields['latest-only'],
      'notify-user': fields['notify-user'],
      'notification-mode': fields['notification-mode'],
      'group-filter': filters?.length ? filters : undefined,
      ns: fields.ns || undefined,
      'max-depth': fields['max-depth'],
      'worker-threads': fields['worker-threads'],
      comment: comment || undefined
    },
    unset
  }
}

export interface JobReferenceFiles {
  tape: ConfigFile
  pools: ConfigFile
  datastores: ConfigFile
}

export class BackupJobConfigService {
  constructor(
    private readonly file: ConfigFile,
    private readonly refs: JobReferenceFiles,
    /** Run state of the jobs (next run, last run). */
    readonly state: JobStateStore,
    /** Zone the schedules are evaluated in; undefined = the process's local zone. */
    private readonly timeZone?: string
  ) {}

  /** The jobs as configured. */
  async configs(): Promise<BackupJobConfig[]> {
    const { sections } = await this.file.read()
    return sections.map(toBackupJob)
  }

  /** The jobs with next-run and last-run fields, as PBS lists them. */
  async list(): Promise<BackupJobStatus[]> {
    const jobs = await this.configs()
    return Promise.all(jobs.map((job) => this.withStatus(job)))
  }

  async withStatus(job: BackupJobConfig): Promise<BackupJobStatus> {
    const { run } = await this.state.load(job.id)
    let next: number | null = null
    if (job.schedule !== undefined) {
      try {
        next = nextRunTime(parseCalendarEvent(job.schedule), run, this.timeZone)
      } catch (err) {
        if (!(err instanceof CalendarEventError)) throw err
      }
    }
    return { ...job, ...(next !== null ? { 'next-run': next } : {}), ...lastRunFields(run) }
  }

  async get(id: string): Promise<{ config: BackupJobConfig; digest: string }> {
    const { sections, digest } = await this.file.read()
    return { config: toBackupJob(findSection(sections, id, WHAT)), digest }
  }

  async create(args: ApiArgs<'backup-job.create'>): Promise<void> {
    validate(args)
    requireValid(checkNamespaceRecursion(args.ns || undefined, args['max-depth']))
    await this.checkReferences(args)
    await this.file.update((sections) => {
      assertNewId(sections, args.id)
      const section: Section = { type: 'backup', id: args.id, properties: {} }
      setProperties(section, valuesOf(args).set)
      sections.push(section)
    })
    await this.state.create(args.id)
  }

  async update(args: ApiArgs<'backup-job.update'>): Promise<void> {
    validate(args)
    await this.checkReferences(args)
    const scheduleChanged = await this.file.update((sections) => {
      const section = findSection(sections, args.id, WHAT)
      const before = optionalString(section.properties.schedule)
      const { set, unset } = valuesOf(args)
      deleteProperties(section, args.delete)
      deleteProperties(section, unset)
      setProperties(section, set)
      // PBS writes the whole job again, each filter in its normal form.
      const filters = section.properties['group-filter']
      if (Array.isArray(filters))
        section.properties['group-filter'] = filters.map(normalizeGroupFilter)
      const job = toBackupJob(section)
      requireValid(checkNamespaceRecursion(job.ns, job['max-depth']))
      return job.schedule !== undefined && job.schedule !== before
    }, args.digest)
    if (scheduleChanged) await this.state.scheduleChanged(args.id)
  }

  async remove(id: string, digest?: string): Promise<void> {
    await this.file.update((sections) => {
      const section = findSection(sections, id, WHAT)
      sections.splice(sections.indexOf(section), 1)
    }, digest)
    await this.state.remove(id)
  }

  /** The datastore, media pool and drive a job names must exist. */
  private async checkReferences(args: { store?: string; pool?: string; drive?: string }) {
    const missing: string[] = []
    const exists = async (file: ConfigFile, id: string, types: string[]) => {
      const { sections } = await file.read()
      return sections.some((s) => s.id === id && types.includes(s.type))
    }
    if (
      args.store !== undefined &&
      !(await exists(this.refs.datastores, args.store, ['datastore']))
    )
      missing.push(`datastore '${args.store}' does not exist`)
    if (args.pool !== undefined && !(await exists(this.refs.pools, args.pool, ['pool'])))
      missing.push(`media pool '${args.pool}' does not exist`)
    if (args.drive !== undefined && !(await exists(this.refs.tape, args.drive, ['lto', 'virtual'])))
      missing.push(`drive '${args.drive}' does not exist`)
    if (missing.length > 0) throw invalidArgument(missing.join('; '))
  }
}
