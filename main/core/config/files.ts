/**
 * The four PBS configuration files Tapedeck keeps in its home, with the section types and
 * properties PBS defines for them (pbs-api-types). Files written by PBS load unchanged.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigFile } from './config-file'
import type { PropertySchema, SectionTypeSchema } from './section-config'
import { checkAllocation, checkRetention, checkTemplate } from './pool-policy'
import {
  checkGroupFilterInFile,
  checkNamespace,
  checkNotificationMode,
  checkSchedule,
  checkUserid
} from './backup-job-fields'

const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/

export const checkSafeId =
  (what: string, min: number, max: number) =>
  (id: string): string | undefined => {
    if (id.length < min || id.length > max)
      return `${what} must be ${min} to ${max} characters long`
    if (!SAFE_ID.test(id)) {
      return `${what} may contain only letters, digits, '_', '.' and '-' and must not start with '.' or '-'`
    }
    return undefined
  }

const str = (required = false, check?: PropertySchema['check']): PropertySchema => ({
  kind: 'string',
  required,
  check
})
const int = (min: number, max: number): PropertySchema => ({
  kind: 'integer',
  check: (v) =>
    Number(v) < min || Number(v) > max ? `must be between ${min} and ${max}` : undefined
})
const bool: PropertySchema = { kind: 'boolean' }

const slotList = (v: string) =>
  /^\s*[0-9]+(\s*,\s*[0-9]+)*\s*$/.test(v) && v.split(',').every((s) => Number(s) >= 1)
    ? undefined
    : 'expected a comma separated list of slot numbers (1 or higher)'

const fingerprint = (v: string) =>
  /^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/.test(v)
    ? undefined
    : 'expected a key fingerprint (32 hex bytes separated by colons)'

const deviceId = checkSafeId('name', 3, 32)

export const TAPE_CFG_TYPES: Record<string, SectionTypeSchema> = {
  lto: {
    idProperty: 'name',
    checkId: deviceId,
    properties: { path: str(true), changer: str(false, deviceId), 'changer-drivenum': int(0, 255) }
  },
  changer: {
    idProperty: 'name',
    checkId: deviceId,
    properties: {
      path: str(true),
      'export-slots': str(false, slotList),
      'eject-before-unload': bool
    }
  },
  virtual: {
    idProperty: 'name',
    checkId: deviceId,
    properties: { path: str(true), 'max-size': int(1, Number.MAX_SAFE_INTEGER) }
  }
}

export const MEDIA_POOL_CFG_TYPES: Record<string, SectionTypeSchema> = {
  pool: {
    idProperty: 'name',
    checkId: checkSafeId('pool name', 2, 32),
    properties: {
      allocation: str(false, checkAllocation),
      retention: str(false, checkRetention),
      template: str(false, checkTemplate),
      encrypt: str(false, fingerprint),
      comment: str()
    }
  }
}

export const TAPE_JOB_CFG_TYPES: Record<string, SectionTypeSchema> = {
  backup: {
    idProperty: 'id',
    checkId: checkSafeId('job id', 3, 32),
    properties: {
      store: str(true, checkSafeId('datastore name', 3, 32)),
      pool: str(true, checkSafeId('pool name', 2, 32)),
      drive: str(true, deviceId),
      schedule: str(false, checkSchedule),
      'eject-media': bool,
      'export-media-set': bool,
      'latest-only': bool,
      'notify-user': str(false, checkUserid),
      'notification-mode': str(false, checkNotificationMode),
      'group-filter': { kind: 'array', check: checkGroupFilterInFile },
      ns: str(false, checkNamespace),
      'max-depth': int(0, 7),
      'worker-threads': int(1, 32),
      comment: str()
    }
  }
}

// Tapedeck uses name, path and comment; the other PBS datastore keys are kept as they are so a
// datastore.cfg copied from a PBS host loads and is written back unchanged.
const PBS_DATASTORE_KEYS = [
  'gc-schedule',
  'prune-schedule',
  'keep-last',
  'keep-hourly',
  'keep-daily',
  'keep-weekly',
  'keep-monthly',
  'keep-yearly',
  'verify-new',
  'notify-user',
  'notify',
  'notification-mode',
  'tuning',
  'maintenance-mode',
  'backing-device',
  'backend'
]

export const DATASTORE_CFG_TYPES: Record<string, SectionTypeSchema> = {
  datastore: {
    idProperty: 'name',
    checkId: checkSafeId('datastore name', 3, 32),
    properties: {
      path: str(true),
      comment: str(),
      ...Object.fromEntries(PBS_DATASTORE_KEYS.map((key) => [key, str()]))
    }
  }
}

export const CONFIG_FILE_NAMES = [
  'tape.cfg',
  'media-pool.cfg',
  'tape-job.cfg',
  'datastore.cfg'
] as const
export type ConfigFileName = (typeof CONFIG_FILE_NAMES)[number]

export interface ConfigFiles {
  tape: ConfigFile
  pools: ConfigFile
  jobs: ConfigFile
  datastores: ConfigFile
}

export function openConfigFiles(
  home: string,
  onChange: (file: ConfigFileName) => void
): ConfigFiles {
  const file = (name: ConfigFileName, types: Record<string, SectionTypeSchema>) =>
    new ConfigFile(home, name, types, () => onChange(name))
  return {
    tape: file('tape.cfg', TAPE_CFG_TYPES),
    pools: file('media-pool.cfg', MEDIA_POOL_CFG_TYPES),
    jobs: file('tape-job.cfg', TAPE_JOB_CFG_TYPES),
    datastores: file('datastore.cfg', DATASTORE_CFG_TYPES)
  }
}

/**
 * Notice edits made by other processes (the CLI while the app is open, an admin's editor) by
 * polling the files' change times: the files are replaced by rename, which defeats fs.watch.
 */
export function watchConfigFiles(
  home: string,
  onChange: (file: ConfigFileName) => void,
  intervalMs = 1000
): () => void {
  const seen = new Map<ConfigFileName, string>()
  const fingerprint = async (file: ConfigFileName) => {
    const info = await stat(join(home, file)).catch(() => undefined)
    return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing'
  }
  let busy = false
  const poll = async (notify: boolean) => {
    for (const file of CONFIG_FILE_NAMES) {
      const now = await fingerprint(file)
      if (notify && seen.get(file) !== now) onChange(file)
      seen.set(file, now)
    }
  }
  void poll(false)
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    poll(true).finally(() => (busy = false))
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
