/**
 * Errors that cross the API boundary. Every transport turns a thrown error into `{code, message}`;
 * anything that is not an ApiError becomes `internal` so stack traces and internals never leak.
 */
export const ERROR_CODES = [
  'invalid-argument',
  'unknown-method',
  'not-found',
  'already-exists',
  'in-use',
  'conflict',
  'busy',
  'unauthorized',
  'cancelled',
  /** The device cannot do this at all (a drive without cartridge memory, …). */
  'not-supported',
  'internal'
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ApiErrorPayload {
  code: ErrorCode
  message: string
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiError'
  }

  toPayload(): ApiErrorPayload {
    return { code: this.code, message: this.message }
  }
}

export const invalidArgument = (message: string): ApiError =>
  new ApiError('invalid-argument', message)
export const notFound = (message: string): ApiError => new ApiError('not-found', message)
export const alreadyExists = (message: string): ApiError => new ApiError('already-exists', message)

export function toErrorPayload(err: unknown): ApiErrorPayload {
  if (err instanceof ApiError) return err.toPayload()
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) }
}

export function isErrorPayload(value: unknown): value is ApiErrorPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiErrorPayload).code === 'string' &&
    typeof (value as ApiErrorPayload).message === 'string'
  )
}
