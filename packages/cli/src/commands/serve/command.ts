import { Option } from '@commander-js/extra-typings';
import { collect, examples, portNumber, positiveInt, type RegisterCommands, usageError } from '../_shared.js';

const handlers = () => import('./handlers.js');

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--<flag> <duration>`: a duration such as 90s, 30m, 6h or 30d, in milliseconds; else a usage error. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN)) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1) {
    throw usageError(`Invalid --${flag} "${text}": expected a duration such as 30m, 6h or 30d`);
  }
  return ms;
}

/** `--retention-model <model>=<limits>`: `tickets=30d`, `tickets=100000`, `tickets=30d,100000` or `tickets=keep`. */
export function parseModelRetention(
  text: string,
  previous: Record<string, { maxAgeMs?: number; maxRows?: number } | false> = {},
): Record<string, { maxAgeMs?: number; maxRows?: number } | false> {
  const eq = text.indexOf('=');
  const model = text.slice(0, eq).trim();
  const spec = text.slice(eq + 1).trim();
  if (eq < 1 || !model || !spec) {
    throw usageError(`Invalid --retention-model "${text}": expected <model>=<age>[,<rows>] or <model>=keep`);
  }
  if (spec === 'keep') return { ...previous, [model]: false };
  const limits: { maxAgeMs?: number; maxRows?: number } = {};
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (/^\d+$/.test(part)) limits.maxRows = Number(part);
    else limits.maxAgeMs = parseDuration(part, 'retention-model');
  }
  return { ...previous, [model]: limits };
}

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
    .option('--ui', 'also serve the web dashboard at /ui (this process owns the store for both)')
    .option('--retention-max-age <duration>', 'prune predictions older than this from the log, e.g. 30d, 12h')
    .option('--retention-max-rows <n>', 'keep at most this many predictions per model in the log')
    .option(
      '--retention-model <model=limits>',
      'per-model retention: <model>=<age>[,<rows>] or <model>=keep (repeatable)',
      parseModelRetention,
    )
    .option('--retention-interval <duration>', 'time between two prunings of the log (default 10m)')
    .addOption(
      new Option('--log-inputs <mode>', 'what the prediction log keeps of the inputs')
        .choices(['full', 'redacted', 'none'] as const)
        .default('full'),
    )
    .addHelpText(
      'after',
      examples([
        ['mlops serve churn', 'serve churn@production on http://127.0.0.1:8080'],
        ['mlops serve churn fraud --port 9000 --alias staging', 'two models, another alias'],
        ['mlops serve churn --ui', 'the dashboard at http://127.0.0.1:8080/ui/ in the same process'],
        ['mlops serve churn --retention-max-age 30d --retention-max-rows 1000000', 'prune the prediction log'],
        ['mlops serve churn --log-inputs redacted', 'log the inputs’ keys and types, not their values'],
        ['mlops --server http://127.0.0.1:8080 models promote churn 5 -g "f1>=incumbent"', 'from another shell'],
      ]),
    )
    .action((models, opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const port = portNumber(opts.port);
        const retention = {
          ...(opts.retentionMaxAge ? { maxAgeMs: parseDuration(opts.retentionMaxAge, 'retention-max-age') } : {}),
          ...(opts.retentionMaxRows ? { maxRows: positiveInt(opts.retentionMaxRows, 'retention-max-rows') } : {}),
          ...(opts.retentionModel ? { perModel: opts.retentionModel } : {}),
        };
        const anyRetention = Object.keys(retention).length > 0;
        if (opts.retentionInterval && !anyRetention) {
          throw usageError('--retention-interval needs --retention-max-age, --retention-max-rows or --retention-model');
        }
        return (await handlers()).serveCommand(
          {
            models,
            alias: opts.alias,
            port,
            host: opts.host,
            auth: opts.auth,
            flavor: opts.flavor ?? [],
            registryApi: opts.registryApi,
            ui: opts.ui ?? false,
            logInputs: opts.logInputs,
            ...(anyRetention
              ? {
                  retention: {
                    ...retention,
                    ...(opts.retentionInterval
                      ? { intervalMs: parseDuration(opts.retentionInterval, 'retention-interval') }
                      : {}),
                  },
                }
              : {}),
            ...(host.importModule ? { importModule: host.importModule } : {}),
          },
          ctx,
          out,
        );
      }),
    );
};
