/** `tapedeck restore … [--plan-only]`: the restore plan as a table (text) or the plan object (JSON). */
import type { ApiResult } from '../../core/api/contract'
import { countLoads } from '../../core/jobs/restore/restore-plan'
import type { CliContext } from '../context'
import { formatBytes, formatDuration } from '../output'

type Plan = ApiResult<'tape.restore-plan'>

export function printRestorePlan(ctx: CliContext, plan: Plan): void {
  if (!ctx.out.isText) return ctx.out.json(plan)
  const loads = countLoads(plan)
  const tapes = new Set(plan.tapes.map((t) => t.uuid)).size
  ctx.out.line(
    `Restore plan for media set ${plan['media-set']}${plan.pool ? ` (pool ${plan.pool})` : ''}: ${plan.mode === 'full' ? 'the whole set' : 'selected snapshots'}`
  )
  ctx.out.list(
    plan.tapes.map((t, i) => ({ ...t, step: i + 1 })),
    [
      { header: 'step', value: (t) => t.step },
      { header: 'label-text', value: (t) => t['label-text'] },
      { header: 'seq-nr', value: (t) => t['seq-nr'] },
      { header: 'read', value: (t) => (t.phase === 'all' ? 'all files' : `${t.phase} archives`) },
      { header: 'files', value: (t) => (t.phase === 'all' ? '2…' : t.files.join(',')) },
      { header: 'bytes', value: (t) => formatBytes(t.bytes) },
      { header: 'where', value: (t) => `${t.online ? '' : 'OFFLINE: '}${t.location}` },
      { header: 'estimate', value: (t) => formatDuration(t['estimated-seconds']) }
    ]
  )
  if (plan.mode === 'selective' && plan.snapshots.length > 0) {
    ctx.out.list(
      plan.snapshots.flatMap((s) =>
        (s.targets.length > 0 ? s.targets : [undefined]).map((t) => ({ s, t }))
      ),
      [
        { header: 'snapshot', value: ({ s }) => `${s.store}:${s.snapshot}` },
        { header: 'tape', value: ({ s }) => `${s['label-text']} file ${s.file}` },
        {
          header: 'target',
          value: ({ t }) => (t ? `${t.store}:${t.snapshot}` : '(not restored: no target)')
        },
        { header: 'action', value: ({ t }) => (t ? (t.exists ? 'skip (exists)' : 'restore') : '') }
      ]
    )
  }
  ctx.out.line(
    `${tapes} tape${tapes === 1 ? '' : 's'}, ${loads} load${loads === 1 ? '' : 's'}, about ${formatBytes(plan['total-bytes'])} to read, estimated ${formatDuration(plan['estimated-seconds'])} (${plan['rate-source']}; ${plan['load-seconds']}s per load)`
  )
  for (const w of plan.warnings) ctx.out.line(`note: ${w}`)
}
