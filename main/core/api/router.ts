/**
 * Method name → handler, with the contract's schemas checked on the way in and out. Every
 * transport (IPC, WebSocket, CLI, tests) calls through here, so no handler ever sees unchecked input.
 */
import type { z } from 'zod'
import { API, type ApiArgs, type ApiMethod, type ApiResult } from './contract'
import { ApiError, invalidArgument } from './errors'

type ParsedArgs<M extends ApiMethod> = z.output<(typeof API)[M]['args']>

type HandlerResult<M extends ApiMethod> =
  z.input<(typeof API)[M]['result']> extends null ? void : z.input<(typeof API)[M]['result']>

/** Handlers of methods without a result may return nothing; the wire carries `null`. */
export type Handlers = {
  [M in ApiMethod]: (args: ParsedArgs<M>) => Promise<HandlerResult<M>>
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
      if (issue.code === 'unrecognized_keys')
        return `unknown argument ${issue.keys.map((k) => `'${k}'`).join(', ')}`
      return `${where}${issue.message}`
    })
    .join('; ')
}

export const isApiMethod = (method: unknown): method is ApiMethod =>
  typeof method === 'string' && Object.hasOwn(API, method)

export class Router {
  constructor(private readonly handlers: Handlers) {}

  async call(method: unknown, args: unknown): Promise<unknown> {
    if (!isApiMethod(method)) {
      throw new ApiError('unknown-method', `unknown API method '${String(method)}'`)
    }
    const spec = API[method]
    const parsed = spec.args.safeParse(args ?? {})
    if (!parsed.success) {
      throw invalidArgument(`invalid arguments for ${method}: ${describeIssues(parsed.error)}`)
    }
    const handler = this.handlers[method] as (args: unknown) => Promise<unknown>
    const result = await handler(parsed.data)
    const checked = spec.result.safeParse(result === undefined ? null : result)
    if (!checked.success) {
      throw new ApiError(
        'internal',
        `${method} produced a result that breaks the API contract: ${describeIssues(checked.error)}`
      )
    }
    return checked.data
  }

  /** Typed entry point for in-process callers (CLI, tests). */
  invoke<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> {
    return this.call(method, args) as Promise<ApiResult<M>>
  }
}
