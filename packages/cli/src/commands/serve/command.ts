import { Option } from '@commander-js/extra-typings';
import { collect, examples, portNumber, type RegisterCommands } from '../_shared.js';

const handlers = () => import('./handlers.js');

/** `mlops serve <models...>`: the model server with the registry API, until SIGTERM/SIGINT. */
export const registerServe: RegisterCommands = (program, host) => {
  program
    .command('serve')
    .description('serve registry aliases over REST (predict, OIP v2, /metrics, /docs) and the registry API')
    .argument('<models...>', 'registered models to serve')
    .option('-a, --alias <alias>', 'alias each model follows (hot-swapped when it moves)', 'production')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to bind (auth is required off loopback)', '127.0.0.1')
    .addOption(
      new Option('--auth <mode>', 'API-key auth').choices(['auto', 'required', 'disabled'] as const).default('auto'),
    )
    .option('--flavor <module[#export]>', 'extra flavor module besides the installed plugins (repeatable)', collect)
    .option('--no-registry-api', 'do not mount the registry API at /registry')
    .addHelpText(
      'after',
      examples([
        ['mlops serve churn', 'serve churn@production on http://127.0.0.1:8080'],
        ['mlops serve churn fraud --port 9000 --alias staging', 'two models, another alias'],
        ['mlops --server http://127.0.0.1:8080 models promote churn 5 -g "f1>=incumbent"', 'from another shell'],
      ]),
    )
    .action((models, opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const port = portNumber(opts.port);
        return (await handlers()).serveCommand(
          {
            models,
            alias: opts.alias,
            port,
            host: opts.host,
            auth: opts.auth,
            flavor: opts.flavor ?? [],
            registryApi: opts.registryApi,
            ...(host.importModule ? { importModule: host.importModule } : {}),
          },
          ctx,
          out,
        );
      }),
    );
};
