import type { Command } from 'commander'
import { startServe, DEFAULT_PORT } from '../../serve/server'
import type { Run } from '../context'
import { integer } from '../options'

export function registerServeCommand(program: Command, run: Run): void {
  program
    .command('serve')
    .description('Serve the Tapedeck user interface to a web browser')
    .option(
      '--host <address>',
      'address to listen on (default 127.0.0.1; anything else is reachable from the network)',
      '127.0.0.1'
    )
    .option(
      '--port <port>',
      `port (default ${DEFAULT_PORT}; 0 picks a free one)`,
      integer(0, 65535)
    )
    .action(
      run(async (ctx, o) => {
        const server = await startServe({
          home: ctx.home,
          host: o.host,
          port: o.port ?? DEFAULT_PORT
        })
        ctx.out.line(`Tapedeck ${server.core.version} — home ${ctx.home}`)
        ctx.out.line(`Open this address in a browser (it contains the access token):`)
        ctx.out.line(`  ${server.url}`)
        ctx.out.line('Press Ctrl-C to stop.')
        await new Promise<void>((resolve) => {
          const stop = () => resolve()
          process.once('SIGINT', stop)
          process.once('SIGTERM', stop)
        })
        process.stderr.write('stopping…\n')
        await server.close()
      })
    )
}
