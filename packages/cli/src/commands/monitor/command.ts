import type { MonitoringSettings } from '@mlops/monitoring';
import { examples, positiveInt, type RegisterCommands, usageError } from '../_shared.js';

const handlers = () => import('./handlers.js');

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--window`: a duration such as 30m, 6h or 7d, in milliseconds; else a usage error. */
export function parseWindow(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN)) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1) {
    throw usageError(`Invalid --window "${text}": expected a duration such as 30m, 6h or 7d`);
  }
  return ms;
}

/** `mlops monitor <model>`: the current monitoring window of a served version. */
export const registerMonitor: RegisterCommands = (program, host) => {
  program
    .command('monitor')
    .description(
      "the current monitoring window of a model version's prediction log: verdict (broken feed, drift), data quality, metrics, thresholds crossed",
    )
    .argument('<model>', 'registered model (its predictions logged under the same name)')
    .option('-a, --alias <alias>', 'alias whose version is evaluated', 'production')
    .option('--version <n>', 'a version number instead of the alias')
    .option('--window <duration>', 'window length when the version stores none, e.g. 30m, 6h, 7d (default 1d)')
    .option('--min-samples <n>', 'minimum predictions / labels when the version stores none (default 30)')
    .option(
      '--fail-on-crossing',
      'exit 9 on a broken feed, 8 on dataset drift, 10 on a metric below its minimum, 11 on an estimate below its minimum',
    )
    .addHelpText(
      'after',
      examples([
        ['mlops monitor churn', 'what the /metrics gauges say about churn@production now'],
        ['mlops monitor churn --version 4 --window 6h --json', 'one version, the JSON result'],
        ['mlops monitor churn --fail-on-crossing', 'a CronJob or CI check: non-zero when a threshold is crossed'],
      ]),
    )
    .action((model, opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const settings: MonitoringSettings = {};
        if (opts.window !== undefined) settings.windowMs = parseWindow(opts.window);
        if (opts.minSamples !== undefined) settings.minSamples = positiveInt(opts.minSamples, 'min-samples');
        const version = opts.version === undefined ? undefined : positiveInt(opts.version, 'version');
        return (await handlers()).monitorCommand(
          {
            model,
            alias: opts.alias,
            ...(version !== undefined ? { version } : {}),
            settings,
            failOnCrossing: opts.failOnCrossing === true,
          },
          ctx,
          out,
        );
      }),
    );
};
