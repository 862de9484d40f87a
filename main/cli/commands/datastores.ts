import type { Command } from 'commander'
import type { DatastoreConfig } from '../../core/api/contract'
import { formatIso } from '../../core/util/time'
import type { Run } from '../context'
import { formatBytes } from '../output'
import { defined } from '../options'

export function registerDatastoreCommands(program: Command, run: Run): void {
  const datastore = program
    .command('datastore')
    .description('Datastores Tapedeck backs up from and restores to (datastore.cfg)')

  datastore
    .command('add <name>')
    .description('Register an existing PBS datastore directory')
    .requiredOption('--path <dir>', 'datastore directory (the one holding .chunks)')
    .option('--comment <text>', 'comment')
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call('datastore.add', defined({ name, path: o.path, comment: o.comment }))
        ctx.out.done()
      })
    )

  datastore
    .command('list')
    .description('List registered datastores')
    .action(
      run(async (ctx) => {
        ctx.out.list<DatastoreConfig>(await ctx.call('datastore.list', {}), [
          { header: 'name', value: (d) => d.name },
          { header: 'path', value: (d) => d.path },
          { header: 'comment', value: (d) => d.comment }
        ])
      })
    )

  datastore
    .command('show <name>')
    .description('Show a datastore: configuration, disk usage and the last scan')
    .action(
      run(async (ctx, name: string) => {
        const { config } = await ctx.call('datastore.config', { name })
        const status = await ctx.call('datastore.status', { name })
        if (!ctx.out.isText) return ctx.out.json({ ...config, status })
        const scan = status['last-scan']
        ctx.out.object({
          ...config,
          exists: status.exists,
          total: status.total === undefined ? undefined : formatBytes(status.total),
          used: status.used === undefined ? undefined : formatBytes(status.used),
          avail: status.avail === undefined ? undefined : formatBytes(status.avail),
          'last-scan': scan ? formatIso(scan.time) : 'never (run `tapedeck datastore scan`)',
          namespaces: scan?.namespaces,
          groups: scan?.groups,
          snapshots: scan?.snapshots,
          chunks: scan?.chunks,
          'chunk-bytes': scan === undefined ? undefined : formatBytes(scan['chunk-bytes'])
        })
      })
    )

  datastore
    .command('scan <name>')
    .description('Count namespaces, groups, snapshots and chunks of a datastore (a task)')
    .action(
      run(
        async (ctx, name: string) => void (await ctx.runTask(ctx.call('datastore.scan', { name })))
      )
    )

  datastore
    .command('remove <name>')
    .description('Forget a datastore (its files stay where they are)')
    .action(
      run(async (ctx, name: string) => {
        await ctx.call('datastore.remove', { name })
        ctx.out.done()
      })
    )
}
