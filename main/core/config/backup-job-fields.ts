/**
 * Value checks for the properties of a tape backup job (tape-job.cfg, pbs-api-types
 * `TapeBackupJobConfig`). Each returns a message naming the property, or undefined when fine.
 * They serve both the file parser (files.ts) and the job service.
 */
import { CalendarEventError, parseCalendarEvent } from '../media/calendar-event'
import { checkGroupFilter, checkGroupFilterSyntax } from './group-filter'

export const NOTIFICATION_MODES = ['legacy-sendmail', 'notification-system'] as const
export type NotificationMode = (typeof NOTIFICATION_MODES)[number]

/** PBS MAX_NAMESPACE_DEPTH. */
export const MAX_NAMESPACE_DEPTH = 7

export function checkSchedule(value: string): string | undefined {
  try {
    parseCalendarEvent(value)
    return undefined
  } catch (err) {
    if (err instanceof CalendarEventError) {
      return `schedule must be a calendar event (e.g. 'daily' or 'mon..fri 22:00'): ${err.message}`
    }
    throw err
  }
}

// PBS Userid: `<name>@<realm>`, name without whitespace, ':', '/' or control characters,
// realm a safe id; 3 to 64 characters in all.
// eslint-disable-next-line no-control-regex
const USERID = /^[^\s:/\x00-\x1f\x7f]+@[A-Za-z0-9_][A-Za-z0-9._-]*$/

export function checkUserid(value: string): string | undefined {
  if (value.length < 3 || value.length > 64 || !USERID.test(value)) {
    return `notify-user must be a user id like 'root@pam', got '${value}'`
  }
  return undefined
}

export function checkNotificationMode(value: string): string | undefined {
  return (NOTIFICATION_MODES as readonly string[]).includes(value)
    ? undefined
    : `notification-mode must be ${NOTIFICATION_MODES.join(' or ')}, got '${value}'`
}

const NS_COMPONENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/

/** Depth of a namespace path (`a/b` → 2, root → 0). */
export const namespaceDepth = (ns: string | undefined): number => (ns ? ns.split('/').length : 0)

export function checkNamespace(value: string): string | undefined {
  if (value === '') return undefined
  const parts = value.split('/')
  if (value.length > 256 || !parts.every((p) => NS_COMPONENT.test(p))) {
    return `ns must be a namespace path like 'a/b/c' (names of letters, digits, '_', '.', '-'), got '${value}'`
  }
  if (parts.length > MAX_NAMESPACE_DEPTH) {
    return `ns '${value}' is ${parts.length} levels deep; at most ${MAX_NAMESPACE_DEPTH} are allowed`
  }
  return undefined
}

/** PBS `BackupNamespace::check_max_depth`: namespace depth plus recursion must stay within 7. */
export function checkNamespaceRecursion(
  ns: string | undefined,
  maxDepth: number | undefined
): string | undefined {
  if (maxDepth === undefined) return undefined
  const depth = namespaceDepth(ns)
  if (depth + maxDepth > MAX_NAMESPACE_DEPTH) {
    return `namespace '${ns}' (depth ${depth}) with max-depth ${maxDepth} goes deeper than ${MAX_NAMESPACE_DEPTH} levels`
  }
  return undefined
}

export const checkGroupFilterValue = (value: string): string | undefined => checkGroupFilter(value)

/** For loading files: the regex of a `regex:` filter is compiled only when the job runs. */
export const checkGroupFilterInFile = (value: string): string | undefined =>
  checkGroupFilterSyntax(value)
