import type { Command } from 'commander'
import type { Run } from '../context'
import { integer } from '../options'

export function registerTimeCommands(program: Command, run: Run): void {
  program
    .command('calendar <event>')
    .description('Preview a calendar event (pool allocation, job schedule): its next occurrences')
    .option('--from <time>', 'start after this time (ISO 8601 or epoch seconds; default now)')
    .option('--count <n>', 'how many occurrences (default 5)', integer(1, 1000))
    .option('--timezone <zone>', 'IANA time zone (default: local)')
    .action(
      run(async (ctx, event: string, o) => {
        const preview = await ctx.call('calendar.preview', {
          event,
          from: o.from,
          count: o.count ?? 5,
          timezone: o.timezone
        })
        if (!ctx.out.isText) return ctx.out.json(preview)
        ctx.out.line(`Original form:   ${event}`)
        ctx.out.line(`Normalized form: ${preview.normalized}`)
        if (preview.next.length === 0) ctx.out.line('Next elapse:     never')
        preview.next.forEach((time, i) =>
          ctx.out.line(`${i === 0 ? 'Next elapse:' : `Iter. #${i + 1}:`}`.padEnd(17) + time)
        )
      })
    )

  program
    .command('timespan <span>')
    .description('Preview a time span (pool retention): its length in seconds')
    .action(
      run(async (ctx, span: string) => {
        const preview = await ctx.call('timespan.preview', { span })
        if (!ctx.out.isText) return ctx.out.json(preview)
        ctx.out.line(`Original: ${span}`)
        ctx.out.line(`Seconds:  ${preview.seconds}`)
        ctx.out.line(`Human:    ${preview.normalized}`)
      })
    )
}
