import type { Command } from 'commander'
import type {
  DatastoreConfig,
  DatastoreGroup,
  DatastoreSnapshot,
  VerifyResult
} from '../../core/api/contract'
import { formatIso } from '../../core/util/time'
import type { CliContext, Run } from '../context'
import { formatBytes } from '../output'
import { boolean, defined, integer, size } from '../options'

/** Backup times print in UTC, as PBS names snapshots. */
const utc = (epoch: number | undefined) =>
  epoch === undefined ? undefined : new Date(epoch * 1000).toISOString().replace('.000Z', 'Z')

/** PBS lists a snapshot's files without their .blob/.fidx/.didx extension. */
const fileList = (s: DatastoreSnapshot) =>
  s.finished
    ? s.files.map((f) => f.filename.replace(/\.(blob|fidx|didx)$/, '')).join(' ')
    : '(unfinished)'

function printVerifyResult(ctx: CliContext, result: VerifyResult): void {
  if (!ctx.out.isText) return ctx.out.json(result)
  ctx.out.object({
    result: result.ok ? 'OK - no damage found' : 'DAMAGED',
    snapshots: result.snapshots,
    'index-files': result['index-files'],
    chunks: result.chunks,
    read: formatBytes(result.bytes),
    'bad-chunks': result['bad-chunk-count'],
    'bad-files': result['bad-files'].length
  })
  if (result['bad-chunks'].length > 0) {
    ctx.out.list(result['bad-chunks'], [
      { header: 'chunk', value: (c) => c.digest },
      { header: 'problem', value: (c) => c.problem },
      { header: 'used by', value: (c) => c.snapshots.join('\n') }
    ])
  }
  if (result['bad-files'].length > 0) {
    ctx.out.list(result['bad-files'], [
      { header: 'snapshot', value: (f) => f.snapshot },
      { header: 'file', value: (f) => f.filename },
      { header: 'problem', value: (f) => f.problem }
    ])
  }
}

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
    .command('create <name>')
    .description('Create a new, empty datastore in PBS layout and register it')
    .requiredOption(
      '--path <dir>',
      'directory for the datastore (created; must be empty if it exists)'
    )
    .option('--comment <text>', 'comment')
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call('datastore.create', defined({ name, path: o.path, comment: o.comment }))
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
        const verified = status['last-verify']
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
          'chunk-bytes': scan === undefined ? undefined : formatBytes(scan['chunk-bytes']),
          'last-verify': verified
            ? `${formatIso(verified.time)}: ${verified.ok ? 'OK' : `DAMAGED (${verified['bad-chunk-count']} bad chunks, ${verified['bad-files']} bad files)`}`
            : 'never (run `tapedeck datastore verify`)'
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
    .command('namespaces <name>')
    .description('List the namespaces of a datastore (the root is shown as /)')
    .action(
      run(async (ctx, name: string) => {
        const namespaces = await ctx.call('datastore.namespaces', { name })
        ctx.out.list(
          namespaces.map((ns) => ({ ns })),
          [{ header: 'namespace', value: (n) => n.ns || '/' }]
        )
      })
    )

  datastore
    .command('groups <name>')
    .description('List the backup groups of one namespace')
    .option('--ns <namespace>', 'namespace (default: the root)')
    .action(
      run(async (ctx, name: string, o) => {
        ctx.out.list<DatastoreGroup>(
          await ctx.call('datastore.groups', defined({ name, ns: o.ns })),
          [
            { header: 'backup-type', value: (g) => g['backup-type'] },
            { header: 'backup-id', value: (g) => g['backup-id'] },
            { header: 'last-backup', value: (g) => utc(g['last-backup']) },
            { header: 'backup-count', value: (g) => g['backup-count'] },
            { header: 'owner', value: (g) => g.owner },
            { header: 'comment', value: (g) => g.comment }
          ]
        )
      })
    )

  datastore
    .command('snapshots <name>')
    .description('List snapshots in a namespace and the namespaces below it')
    .option('--ns <namespace>', 'start at this namespace (default: the root)')
    .option('--max-depth <n>', 'namespace levels to descend (default: all)', integer(0, 7))
    .option('--backup-type <type>', 'only vm, ct or host')
    .option('--backup-id <id>', 'only this backup id')
    .action(
      run(async (ctx, name: string, o) => {
        const snapshots = await ctx.call(
          'datastore.snapshots',
          defined({
            name,
            ns: o.ns,
            'max-depth': o.maxDepth,
            'backup-type': o.backupType,
            'backup-id': o.backupId
          })
        )
        ctx.out.list<DatastoreSnapshot>(snapshots, [
          { header: 'ns', value: (s) => s.ns || '/' },
          { header: 'backup-type', value: (s) => s['backup-type'] },
          { header: 'backup-id', value: (s) => s['backup-id'] },
          { header: 'backup-time', value: (s) => utc(s['backup-time']) },
          { header: 'files', value: fileList },
          { header: 'size', value: (s) => (s.finished ? formatBytes(s.size) : '') },
          { header: 'protected', value: (s) => (s.protected ? 'yes' : '') },
          { header: 'owner', value: (s) => s.owner }
        ])
      })
    )

  datastore
    .command('verify <name>')
    .description('Check every chunk the snapshots use (CRC, length, SHA-256); exit 1 on damage')
    .option('--ns <namespace>', 'only this namespace and those below it')
    .option('--snapshot <snapshot>', 'only this snapshot, e.g. vm/100/2024-01-01T00:00:00Z')
    .action(
      run(async (ctx, name: string, o) => {
        const info = await ctx.followTask(
          ctx.call('datastore.verify', defined({ name, ns: o.ns, snapshot: o.snapshot }))
        )
        if (info.state === 'aborted') throw new Error(info.status ?? 'verification aborted')
        let result: VerifyResult
        try {
          result = await ctx.call('datastore.verify-result', { upid: info.upid })
        } catch {
          throw new Error(info.status ?? 'verification failed')
        }
        printVerifyResult(ctx, result)
        if (!result.ok) throw new Error('verification found damage')
      })
    )

  datastore
    .command('demo <name>')
    .description('Write a deterministic, realistic demo datastore at --path and register it')
    .requiredOption(
      '--path <dir>',
      'directory for the datastore (created; must be empty if it exists)'
    )
    .option(
      '--seed <n>',
      'random seed: the same seed writes the same bytes (default 1)',
      integer(0, 2 ** 31)
    )
    .option('--vms <n>', 'virtual machines (default 2)', integer(0, 100))
    .option('--cts <n>', 'containers (default 1)', integer(0, 100))
    .option('--hosts <n>', 'host backups (default 1)', integer(0, 100))
    .option('--snapshots <n>', 'snapshots per backup group (default 3)', integer(1, 100))
    .option('--disk-size <size>', 'size of each VM disk (default 64MiB)', size)
    .option(
      '--namespaces [bool]',
      'spread the groups over namespaces prod, prod/db and dev',
      boolean
    )
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.runTask(
          ctx.call(
            'datastore.demo',
            defined({
              name,
              path: o.path,
              seed: o.seed,
              vms: o.vms,
              cts: o.cts,
              hosts: o.hosts,
              snapshots: o.snapshots,
              'disk-size': o.diskSize,
              namespaces: o.namespaces
            })
          )
        )
      })
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
