import { Option } from '@commander-js/extra-typings';
import { collect, examples, positiveInt, type RegisterCommands } from '../_shared.js';

const handlers = () => import('./handlers.js');

/** `mlops runs ls|show|compare|best`: tracked runs. */
export const registerRuns: RegisterCommands = (program, host) => {
  const runs = program
    .command('runs')
    .description('search, show and compare tracked runs')
    .addHelpText(
      'after',
      examples([
        ['mlops runs ls --experiment churn --metric "accuracy>=0.9" --sort accuracy', 'the best runs first'],
        ['mlops runs show 6f1c…', 'everything logged to a run'],
        ['mlops runs compare <id1> <id2>', 'params and metrics side by side'],
      ]),
    );

  runs
    .command('ls')
    .description('list runs, filtered and sorted')
    .option('-e, --experiment <name>', 'experiment (repeatable)', collect)
    .option('--metric <cond>', 'metric condition, e.g. "accuracy>=0.9" (repeatable)', collect)
    .option('--param <cond>', 'param condition, e.g. lr=0.1 or "optimizer!=sgd" (repeatable)', collect)
    .option('--tag <cond>', 'tag condition, e.g. stage=prod (repeatable)', collect)
    .addOption(
      // argParser after choices: values are collected, not checked here (the run search rejects an unknown status)
      new Option('--status <status>', 'run status (repeatable)')
        .choices(['running', 'finished', 'failed', 'killed'])
        .argParser(collect),
    )
    .option('--sort <key>', 'metric name, param.<name>, startTime, endTime, name or status (default startTime)')
    .option('--asc', 'sort ascending (default descending)')
    .option('--limit <n>', 'most runs listed', '50')
    .option('--all', 'include nested (child) runs')
    .addHelpText(
      'after',
      examples([
        ['mlops runs ls', 'newest runs of every experiment'],
        ['mlops runs ls -e churn --param lr=0.1 --sort f1 --limit 5 --json', 'top five by f1, as JSON'],
      ]),
    )
    .action((opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const limit = positiveInt(opts.limit, 'limit');
        return (await handlers()).runsLs(
          {
            experiment: opts.experiment,
            metric: opts.metric,
            param: opts.param,
            tag: opts.tag,
            status: opts.status,
            sort: opts.sort,
            asc: opts.asc === true,
            limit,
            all: opts.all === true,
          },
          ctx,
          out,
        );
      }),
    );

  runs
    .command('show')
    .description('one run: params, metrics, tags, artifacts, datasets, git commit')
    .argument('<run-id>', 'run id')
    .addHelpText('after', examples([['mlops runs show 0b6e7c1e-… --json', 'as JSON']]))
    .action((id, _opts, cmd) => host.run(cmd, async (ctx, out) => (await handlers()).runsShow({ id }, ctx, out)));

  runs
    .command('compare')
    .description('params and latest metrics of runs side by side (* marks differences)')
    .argument('<run-ids...>', 'two or more run ids')
    .addHelpText('after', examples([['mlops runs compare <id1> <id2> <id3>', 'three runs']]))
    .action((ids, _opts, cmd) => host.run(cmd, async (ctx, out) => (await handlers()).runsCompare({ ids }, ctx, out)));

  runs
    .command('best')
    .description('the finished run of an experiment with the best value of a metric (exit 3 when none)')
    .requiredOption('-e, --experiment <name>', 'experiment')
    .requiredOption('--metric <name>', 'metric')
    .option('--min', 'lower is better')
    .addHelpText('after', examples([['mlops runs best -e churn --metric log_loss --min', 'lowest log loss']]))
    .action((opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).runsBest(
          { experiment: opts.experiment, metric: opts.metric, min: opts.min === true },
          ctx,
          out,
        ),
      ),
    );
};
