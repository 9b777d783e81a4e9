import { examples, list, type RegisterCommands, usageError } from '../_shared.js';

const handlers = () => import('./handlers.js');

/** `--share <x>`: a share in (0, 1], else a usage error. */
function shareOf(value: string): number {
  const share = Number(value);
  if (!(share > 0 && share <= 1)) throw usageError(`Invalid --share "${value}": expected (0, 1]`);
  return share;
}

/** `mlops drift <reference> <current>`: the drift report of two data files. */
export const registerDrift: RegisterCommands = (program, host) => {
  program
    .command('drift')
    .description('data drift between a reference and a current data file (CSV, TSV, JSON, JSONL)')
    .argument('<reference>', 'reference data (e.g. the training set)')
    .argument('<current>', 'current data (e.g. last week of production inputs)')
    .option('--html <file>', 'write the HTML report (histograms per column) here')
    .option('--target <column>', 'the label column')
    .option('--prediction <column>', 'the prediction column')
    .option('--exclude <columns>', 'columns to leave out, comma-separated (repeatable)', list)
    .option('--share <x>', 'share of drifted columns from which the dataset counts as drifted', '0.5')
    .option('--fail-on-drift', 'exit 8 when the dataset drifted, 9 when the feed is broken')
    .addHelpText(
      'after',
      examples([
        ['mlops drift train.csv current.csv --html drift.html', 'HTML report'],
        ['mlops drift train.csv current.json --json > drift.json', 'the JSON report'],
        ['mlops drift train.csv current.csv --exclude id,ts --fail-on-drift', 'fail a CI job on drift'],
      ]),
    )
    .action((reference, current, opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const share = shareOf(opts.share);
        return (await handlers()).driftCommand(
          {
            reference,
            current,
            html: opts.html,
            target: opts.target,
            prediction: opts.prediction,
            exclude: opts.exclude,
            share,
            failOnDrift: opts.failOnDrift === true,
          },
          ctx,
          out,
        );
      }),
    );
};
