/** An error returned by the core (`{code, message}`) or raised by the transport itself. */
export class ApiCallError extends Error {
  constructor(
    /** One of the core's error codes (`invalid-argument`, `conflict`, …) or `disconnected`. */
    readonly code: string,
    message: string,
    /** The API method that failed, for diagnostics. */
    readonly method?: string
  ) {
    super(message)
    this.name = 'ApiCallError'
  }
}

/** The message to show a user for anything thrown by an API call. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}

export function errorCode(err: unknown): string | undefined {
  return err instanceof ApiCallError ? err.code : undefined
}

export function isErrorShape(value: unknown): value is { code: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  )
}
