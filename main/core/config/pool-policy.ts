/**
 * Media pool policies as PBS spells them: allocation `continue | always | <calendar event>`,
 * retention `overwrite | keep | <time span>`, and the media-set name template.
 */
import { CalendarEventError, parseCalendarEvent } from '../media/calendar-event'
import { validateMediaSetTemplate } from '../media/media-set-name'
import { TimeSpanError, parseTimeSpan } from '../media/time-span'

export function checkAllocation(value: string): string | undefined {
  if (value === 'continue' || value === 'always') return undefined
  try {
    parseCalendarEvent(value)
    return undefined
  } catch (err) {
    if (err instanceof CalendarEventError) {
      return `allocation must be 'continue', 'always' or a calendar event: ${err.message}`
    }
    throw err
  }
}

export function checkRetention(value: string): string | undefined {
  if (value === 'overwrite' || value === 'keep') return undefined
  try {
    parseTimeSpan(value)
    return undefined
  } catch (err) {
    if (err instanceof TimeSpanError) {
      return `retention must be 'overwrite', 'keep' or a time span: ${err.message}`
    }
    throw err
  }
}

export function checkTemplate(value: string): string | undefined {
  if (value.length < 2 || value.length > 64) return 'template must be 2 to 64 characters long'
  return validateMediaSetTemplate(value)
}
