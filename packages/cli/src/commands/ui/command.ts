import { Option } from '@commander-js/extra-typings';
import { examples, portNumber, type RegisterCommands } from '../_shared.js';

const handlers = () => import('./handlers.js');

/** `mlops ui`: the web dashboard over the store, until SIGTERM/SIGINT. */
export const registerUi: RegisterCommands = (program, host) => {
  program
    .command('ui')
    .description('web dashboard over the store: runs (compare with charts), models (promote/rollback), monitoring')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8090')
    .option('--host <host>', 'address to bind (API keys are required off loopback)', '127.0.0.1')
    .addOption(
      new Option('--auth <mode>', 'API-key auth').choices(['auto', 'required', 'disabled'] as const).default('auto'),
    )
    .addHelpText(
      'after',
      examples([
        ['mlops ui', 'open http://127.0.0.1:8090/ui/ over the embedded store (this process owns it)'],
        ['mlops ui --store postgres://mlops@db/mlops --port 9000', 'beside a running server, on PostgreSQL'],
      ]),
    )
    .action((opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const port = portNumber(opts.port);
        return (await handlers()).uiCommand({ port, host: opts.host, auth: opts.auth }, ctx, out);
      }),
    );
};
