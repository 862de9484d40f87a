import type { Command } from 'commander'
import type { TaskInfo } from '../../core/api/contract'
import { formatIso } from '../../core/util/time'
import type { Run } from '../context'
import { integer } from '../options'
import { followTask } from '../task-follow'

export function registerTaskCommands(program: Command, run: Run): void {
  const task = program.command('task').description('Tasks: long operations with logs and progress')

  task
    .command('list')
    .description('List tasks, newest first')
    .option('--running', 'only running tasks')
    .option('--limit <n>', 'how many tasks to show (default 50)', integer(1, 1000))
    .option('--start <n>', 'skip this many tasks', integer(0, Number.MAX_SAFE_INTEGER))
    .action(
      run(async (ctx, o) => {
        const { tasks } = await ctx.call('task.list', {
          running: o.running,
          limit: o.limit,
          start: o.start
        })
        ctx.out.list<TaskInfo>(tasks, [
          { header: 'starttime', value: (t) => formatIso(t.starttime) },
          {
            header: 'endtime',
            value: (t) => (t.endtime === undefined ? '' : formatIso(t.endtime))
          },
          { header: 'worker_type', value: (t) => t.worker_type },
          { header: 'worker_id', value: (t) => t.worker_id },
          { header: 'status', value: (t) => (t.state === 'running' ? 'running' : t.status) },
          { header: 'upid', value: (t) => t.upid }
        ])
      })
    )

  task
    .command('log <upid>')
    .description('Print the log of a task; follows a running task until it ends')
    .action(
      run(async (ctx, upid: string) => {
        await ctx.call('task.status', { upid }) // validates the id and that the task exists
        const info = await followTask(await ctx.open(), upid, ctx.out)
        if (!ctx.out.isText) ctx.out.json(info)
      })
    )

  task
    .command('status <upid>')
    .description('Show the state of a task')
    .action(
      run(async (ctx, upid: string) => ctx.out.object(await ctx.call('task.status', { upid })))
    )

  task
    .command('stop <upid>')
    .description('Ask a running task to stop')
    .action(
      run(async (ctx, upid: string) => {
        await ctx.call('task.stop', { upid })
        ctx.out.done()
      })
    )
}
