import type { ApiArgs, ApiMethod, ApiResult, TaskInfo } from '../core/api/contract'
import { resolveHome } from '../core/home'
import { openTapedeck, type Tapedeck } from '../core/tapedeck'
import { Output, type OutputFormat } from './output'
import { followTask } from './task-follow'

export interface GlobalOptions {
  home?: string
  outputFormat: OutputFormat
}

/** What every command gets: output in the chosen format and the core, opened on first use. */
export class CliContext {
  readonly out: Output
  private core: Promise<Tapedeck> | undefined

  constructor(readonly options: GlobalOptions) {
    this.out = new Output(options.outputFormat)
  }

  get home(): string {
    return resolveHome({ flag: this.options.home })
  }

  open(): Promise<Tapedeck> {
    this.core ??= openTapedeck({ home: this.home })
    return this.core
  }

  async call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> {
    const core = await this.open()
    return core.api.invoke(method, args)
  }

  /** Follow a task to its end (log on stdout in text mode, progress bar on stderr). */
  async followTask(started: Promise<{ upid: string }>): Promise<TaskInfo> {
    const core = await this.open()
    const { upid } = await started
    return followTask(core, upid, this.out)
  }

  /** Run a task to its end; fails when the task failed. JSON mode prints the task's final state. */
  async runTask(started: Promise<{ upid: string }>): Promise<TaskInfo> {
    const info = await this.followTask(started)
    if (!this.out.isText) this.out.json(info)
    if (info.state === 'error' || info.state === 'aborted')
      throw new Error(info.status ?? 'task failed')
    return info
  }

  async close(): Promise<void> {
    if (this.core) await (await this.core).close()
  }
}

/** Wraps a command action: gives it the context, closes the core afterwards. */
/* eslint-disable @typescript-eslint/no-explicit-any -- commander passes positional args and options untyped */
export type Run = (
  action: (ctx: CliContext, ...args: any[]) => Promise<void>
) => (...args: any[]) => Promise<void>
/* eslint-enable @typescript-eslint/no-explicit-any */
