import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { CliContext, CliContextOptions, GlobalOptions } from './context.js';
import { decisionEvidence, formatEvidence } from './evidence.js';
import { EXIT_CODES, errorCodeOf, errorJson, exitCodeFor, hintFor } from './exit-codes.js';
import { createOutput, type Output, type TextSink, toJson } from './output.js';

/** Options of {@link run}: where to write and what environment to use (tests pass buffers). */
export interface RunOptions extends Pick<CliContextOptions, 'cwd' | 'env' | 'importModule'> {
  /**
   * Standard output.
   * @default process.stdout
   */
  stdout?: TextSink;
  /**
   * Standard error.
   * @default process.stderr
   */
  stderr?: TextSink;
}

type CommandFn<O> = (opts: O, ctx: CliContext, out: Output) => Promise<unknown>;

// Command modules (and through them @mlops/registry, @mlops/drift, PGlite) load on first use: `mlops --help` and
// usage errors stay fast.
const data = () => import('./commands/data.js');
const runs = () => import('./commands/runs.js');
const models = () => import('./commands/models.js');
const lazy =
  <M, O>(load: () => Promise<M>, pick: (m: M) => CommandFn<O>): CommandFn<O> =>
  async (opts, ctx, out) =>
    pick(await load())(opts, ctx, out);

const collect = (value: string, previous: string[] = []) => [...previous, value];
const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

function examples(lines: [string, string][]): string {
  return `\nExamples:\n${lines.map(([cmd, what]) => `  # ${what}\n  $ ${cmd}\n`).join('')}`;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const GLOBAL_HELP = `
Global options work before or after the command (mlops --json runs ls == mlops runs ls --json).

Environment:
  MLOPS_STORE        store URL (default pglite://.mlops/db)
  MLOPS_SERVER_URL   a running mlops server: models commands go over HTTP
  MLOPS_API_KEY      API key for the server
  MLOPS_OBJECTS      local object store folder (default .mlops/objects)
  MLOPS_REMOTE       default remote of data push/pull/status
  MLOPS_PROGRESS     progress output: tty | json | silent (default: tty on a terminal, else json)

Exit codes:
  0 ok · 1 error · 2 usage/invalid input · 3 not found · 4 conflict or gate failed · 5 store locked
  6 unauthorized/forbidden · 7 checksum mismatch · 8 drift detected (--fail-on-drift, --fail-on-crossing)
  9 broken feed: missing/retyped/empty columns (--fail-on-drift, --fail-on-crossing; retrain blocked)
  10 a metric below its minimum · 11 an estimated metric below its minimum (monitor --fail-on-crossing) · 130 interrupted
`;

/**
 * Builds the `mlops` command tree (commander). Each action opens a lazy {@link CliContext}, runs one command
 * function from `src/commands/` and records its exit code in `state`.
 */
export function createProgram(io: RunOptions, state: { exitCode: number; json: boolean }): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const program = new Command('mlops');
  program
    .description('MLOps from the terminal: datasets, runs, models, serving, drift reports, retraining')
    .version(version(), '-V, --version')
    .option('--store <url>', 'store URL: pglite://<dir>, memory:// or postgres://… (env MLOPS_STORE)')
    .option('--server <url>', 'mlops server for models commands, e.g. http://127.0.0.1:8080 (env MLOPS_SERVER_URL)')
    .option('--api-key <key>', 'API key for --server (env MLOPS_API_KEY)')
    .option('--objects <dir>', 'local object store folder (env MLOPS_OBJECTS, default .mlops/objects)')
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .showHelpAfterError()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
    })
    .addHelpText('after', GLOBAL_HELP)
    .exitOverride();

  const action =
    <O>(fn: CommandFn<O>, toOptions: (args: string[], opts: Record<string, unknown>) => O) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const globals = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
      state.json = globals.json === true;
      const { createCliContext } = await import('./context.js');
      const ctx = createCliContext({ ...globals, cwd: io.cwd, env: io.env, importModule: io.importModule });
      const out = createOutput({ json: state.json, stdout, stderr });
      try {
        const positional = args.slice(0, -2).flat() as string[];
        const code = await fn(toOptions(positional, cmd.opts()), ctx, out);
        state.exitCode = typeof code === 'number' ? code : EXIT_CODES.OK;
      } finally {
        await ctx.close();
      }
    };

  // data
  const dataCmd = program
    .command('data')
    .description('version datasets and move them to and from a remote (like dvc)')
    .addHelpText(
      'after',
      examples([
        ['mlops data add data/tickets.csv', 'version a file; writes data/tickets.csv.mlops.json'],
        ['mlops data push data/tickets.csv --remote /mnt/shared/mlops', 'upload to a folder remote'],
        ['mlops data pull data/tickets.csv.mlops.json --remote s3://bucket/mlops', 'restore (needs @mlops/plugin-s3)'],
      ]),
    );
  dataCmd
    .command('add')
    .description('version a file or folder: hash it, store it, record it, write <name>.mlops.json beside it')
    .argument('<path>', 'file or folder')
    .option('--name <name>', 'dataset name (default: the file or folder name)')
    .option('--no-stats', 'skip column statistics of CSV/TSV/JSONL files')
    .addHelpText(
      'after',
      examples([
        ['mlops data add data/train.csv', 'version one file'],
        ['mlops data add data/images --name images', 'version a folder under a name'],
      ]),
    )
    .action(
      action(
        lazy(data, (m) => m.dataAdd),
        ([path], o) => ({
          path: path as string,
          name: o.name as string | undefined,
          stats: o.stats as boolean,
        }),
      ),
    );
  const remoteOption = () => new Option('--remote <folder|url>', 'remote: a folder, file://…, or s3://bucket/prefix');
  dataCmd
    .command('status')
    .description('compare the working copy with its version; say where the objects are')
    .argument('<target>', 'pointer file (*.mlops.json) or the data path beside it')
    .addOption(remoteOption())
    .option('--verify', 're-hash the stored objects (local, and remote when given); exit 7 if any is damaged')
    .addHelpText(
      'after',
      examples([
        ['mlops data status data/train.csv', 'unchanged | modified | missing, per file'],
        ['mlops data status data/train.csv --remote /mnt/remote --json', 'also check the remote, as JSON'],
        ['mlops data status data/train.csv --verify', 'also re-hash the stored objects, report damaged ones'],
      ]),
    )
    .action(
      action(
        lazy(data, (m) => m.dataStatus),
        ([target], o) => ({ target: target as string, remote: o.remote as string, verify: o.verify === true }),
      ),
    );
  dataCmd
    .command('push')
    .description('upload the objects of a version that the remote lacks')
    .argument('<target>', 'pointer file (*.mlops.json) or the data path beside it')
    .addOption(remoteOption())
    .option('--verify', "re-hash the remote's copies and upload damaged ones again")
    .addHelpText('after', examples([['mlops data push data/train.csv --remote /mnt/remote', 'push to a folder']]))
    .action(
      action(
        lazy(data, (m) => m.dataPush),
        ([target], o) => ({ target: target as string, remote: o.remote as string, verify: o.verify === true }),
      ),
    );
  dataCmd
    .command('pull')
    .description('restore the data of a pointer file from the remote (verified, atomic per file)')
    .argument('<target>', 'pointer file (*.mlops.json) or the data path beside it')
    .addOption(remoteOption())
    .addHelpText(
      'after',
      examples([['mlops data pull data/train.csv.mlops.json --remote /mnt/remote', 'after a git clone']]),
    )
    .action(
      action(
        lazy(data, (m) => m.dataPull),
        ([target], o) => ({ target: target as string, remote: o.remote as string }),
      ),
    );
  dataCmd
    .command('ls')
    .description('list datasets, or the versions of one')
    .argument('[name]', 'dataset name')
    .addHelpText(
      'after',
      examples([
        ['mlops data ls', 'datasets with their newest version'],
        ['mlops data ls train.csv --json', 'versions of one dataset'],
      ]),
    )
    .action(
      action(
        lazy(data, (m) => m.dataLs),
        ([name]) => ({ name }),
      ),
    );
  dataCmd
    .command('report')
    .description('data-quality report of a file: missing values, outliers, class balance, schema')
    .argument('<file>', 'CSV, TSV, JSON or JSONL file')
    .option('--html <file>', 'write the HTML report here')
    .option('--target <column>', 'the label column (class balance)')
    .addHelpText(
      'after',
      examples([['mlops data report data/train.csv --target label --html quality.html', 'HTML quality report']]),
    )
    .action(
      action(
        lazy(data, (m) => m.dataReport),
        ([file], o) => ({
          file: file as string,
          html: o.html as string | undefined,
          target: o.target as string | undefined,
        }),
      ),
    );

  // runs
  const runsCmd = program
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
  runsCmd
    .command('ls')
    .description('list runs, filtered and sorted')
    .option('-e, --experiment <name>', 'experiment (repeatable)', collect)
    .option('--metric <cond>', 'metric condition, e.g. "accuracy>=0.9" (repeatable)', collect)
    .option('--param <cond>', 'param condition, e.g. lr=0.1 or "optimizer!=sgd" (repeatable)', collect)
    .option('--tag <cond>', 'tag condition, e.g. stage=prod (repeatable)', collect)
    .addOption(
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
    .action(
      action(
        lazy(runs, (m) => m.runsLs),
        (_args, o) => ({
          experiment: o.experiment as string[] | undefined,
          metric: o.metric as string[] | undefined,
          param: o.param as string[] | undefined,
          tag: o.tag as string[] | undefined,
          status: o.status as string[] | undefined,
          sort: o.sort as string | undefined,
          asc: o.asc === true,
          limit: positiveInt(o.limit, 'limit'),
          all: o.all === true,
        }),
      ),
    );
  runsCmd
    .command('show')
    .description('one run: params, metrics, tags, artifacts, datasets, git commit')
    .argument('<run-id>', 'run id')
    .addHelpText('after', examples([['mlops runs show 0b6e7c1e-… --json', 'as JSON']]))
    .action(
      action(
        lazy(runs, (m) => m.runsShow),
        ([id]) => ({ id: id as string }),
      ),
    );
  runsCmd
    .command('compare')
    .description('params and latest metrics of runs side by side (* marks differences)')
    .argument('<run-ids...>', 'two or more run ids')
    .addHelpText('after', examples([['mlops runs compare <id1> <id2> <id3>', 'three runs']]))
    .action(
      action(
        lazy(runs, (m) => m.runsCompare),
        (ids) => ({ ids }),
      ),
    );
  runsCmd
    .command('best')
    .description('the finished run of an experiment with the best value of a metric (exit 3 when none)')
    .requiredOption('-e, --experiment <name>', 'experiment')
    .requiredOption('--metric <name>', 'metric')
    .option('--min', 'lower is better')
    .addHelpText('after', examples([['mlops runs best -e churn --metric log_loss --min', 'lowest log loss']]))
    .action(
      action(
        lazy(runs, (m) => m.runsBest),
        (_args, o) => ({
          experiment: o.experiment as string,
          metric: o.metric as string,
          min: o.min === true,
        }),
      ),
    );

  // models
  const modelsCmd = program
    .command('models')
    .description('the model registry: list, promote through a gate, roll back')
    .addHelpText(
      'after',
      examples([
        ['mlops models ls', 'models and their aliases'],
        ['mlops models promote churn 3 --gate "accuracy>=0.9" --gate "f1>=incumbent-0.01"', 'gated promotion'],
        ['mlops models rollback churn', 'production back to the previous version'],
        ['mlops --server http://127.0.0.1:8080 models ls', 'against a running server'],
      ]),
    );
  modelsCmd
    .command('ls')
    .description('registered models with their aliases')
    .option('--query <text>', 'name contains')
    .option('--limit <n>', 'most models listed', '100')
    .addHelpText('after', examples([['mlops models ls --json', 'as JSON']]))
    .action(
      action(
        lazy(models, (m) => m.modelsLs),
        (_args, o) => ({
          query: o.query as string | undefined,
          limit: positiveInt(o.limit, 'limit'),
        }),
      ),
    );
  modelsCmd
    .command('versions')
    .description('versions of a model, newest first')
    .argument('<model>', 'model name')
    .addOption(new Option('--status <status>', 'only this status').choices(['pending', 'ready', 'failed', 'archived']))
    .option('--limit <n>', 'most versions listed', '100')
    .addHelpText('after', examples([['mlops models versions churn', 'every version with metrics and aliases']]))
    .action(
      action(
        lazy(models, (m) => m.modelsVersions),
        ([model], o) => ({
          model: model as string,
          status: o.status as string | undefined,
          limit: positiveInt(o.limit, 'limit'),
        }),
      ),
    );
  modelsCmd
    .command('aliases')
    .description('aliases of a model and their versions')
    .argument('<model>', 'model name')
    .addHelpText('after', examples([['mlops models aliases churn', 'production → v3, staging → v4']]))
    .action(
      action(
        lazy(models, (m) => m.modelsAliases),
        ([model]) => ({ model: model as string }),
      ),
    );
  modelsCmd
    .command('promote')
    .description('move an alias to a version if the gate passes (exit 4 and the evidence when it does not)')
    .argument('<model>', 'model name')
    .argument('<version>', 'version number')
    .option('-a, --alias <alias>', 'alias to move', 'production')
    .option(
      '-g, --gate <expr>',
      'gate: "metric>=0.9" (> < <= = !=), "metric>=incumbent-0.01", "loss<=incumbent" (repeatable: all must pass)',
      collect,
    )
    .option('--gate-json <json|@file>', "a declarative gate in the registry's JSON form")
    .option('--expect-incumbent <version|none>', 'compare-and-set: the version the alias must point at now')
    .option('--reason <text>', 'recorded in the audit log')
    .addHelpText(
      'after',
      examples([
        ['mlops models promote churn 3', 'no gate: unconditional'],
        ['mlops models promote churn 3 --gate "accuracy>=0.9"', 'absolute threshold'],
        ['mlops models promote churn 3 -g "f1>=incumbent-0.01" -g "latency_ms<=50"', 'relative + absolute'],
        [
          `mlops models promote churn 3 --gate-json '{"any":[{"metric":"f1","op":"gte","value":0.8},{"metric":"recall","op":"gte","value":0.9}]}'`,
          'any of two',
        ],
        ['mlops models promote churn 3 --alias staging --expect-incumbent 2', 'only if staging is still v2'],
      ]),
    )
    .action(
      action(
        lazy(models, (m) => m.modelsPromote),
        ([model, ver], o) => ({
          model: model as string,
          version: ver as string,
          alias: o.alias as string,
          gate: o.gate as string[] | undefined,
          gateJson: o.gateJson as string | undefined,
          expectIncumbent: o.expectIncumbent as string | undefined,
          reason: o.reason as string | undefined,
        }),
      ),
    );
  modelsCmd
    .command('rollback')
    .description('move an alias back to its previous version')
    .argument('<model>', 'model name')
    .option('-a, --alias <alias>', 'alias to move back', 'production')
    .option('--reason <text>', 'recorded in the audit log')
    .addHelpText('after', examples([['mlops models rollback churn --reason "accuracy dropped"', 'with a reason']]))
    .action(
      action(
        lazy(models, (m) => m.modelsRollback),
        ([model], o) => ({
          model: model as string,
          alias: o.alias as string,
          reason: o.reason as string | undefined,
        }),
      ),
    );

  // drift
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
    .action(
      action(
        lazy(
          () => import('./commands/drift.js'),
          (m) => m.driftCommand,
        ),
        ([reference, current], o) => {
          const share = Number(o.share);
          if (!(share > 0 && share <= 1)) throw usageError(`Invalid --share "${String(o.share)}": expected (0, 1]`);
          return {
            reference: reference as string,
            current: current as string,
            html: o.html as string | undefined,
            target: o.target as string | undefined,
            prediction: o.prediction as string | undefined,
            exclude: o.exclude as string[] | undefined,
            share,
            failOnDrift: o.failOnDrift === true,
          };
        },
      ),
    );

  // monitor
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
    .action(
      action(
        lazy(
          () => import('./commands/monitor.js'),
          (m) => m.monitorCommand,
        ),
        ([model], o) => {
          const settings: Record<string, number> = {};
          if (o.window !== undefined) settings.windowMs = parseWindow(String(o.window));
          if (o.minSamples !== undefined) settings.minSamples = positiveInt(o.minSamples, 'min-samples');
          return {
            model: model as string,
            alias: o.alias as string,
            ...(o.version !== undefined ? { version: positiveInt(o.version, 'version') } : {}),
            settings,
            failOnCrossing: o.failOnCrossing === true,
          };
        },
      ),
    );

  // serve
  program
    .command('serve')
    .description('serve registry aliases over REST (predict, OIP v2, /metrics, /docs) and the registry API')
    .argument('<models...>', 'registered models to serve')
    .option('-a, --alias <alias>', 'alias each model follows (hot-swapped when it moves)', 'production')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to bind (auth is required off loopback)', '127.0.0.1')
    .addOption(new Option('--auth <mode>', 'API-key auth').choices(['auto', 'required', 'disabled']).default('auto'))
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
    .action(
      action(
        lazy(
          () => import('./commands/serve.js'),
          (m) => m.serveCommand,
        ),
        (names, o) => {
          const port = Number(o.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw usageError(`Invalid --port "${String(o.port)}": expected 0-65535`);
          }
          return {
            models: names,
            alias: o.alias as string,
            port,
            host: o.host as string,
            auth: o.auth as 'auto' | 'required' | 'disabled',
            flavor: (o.flavor as string[] | undefined) ?? [],
            registryApi: o.registryApi !== false,
            ...(io.importModule ? { importModule: io.importModule } : {}),
          };
        },
      ),
    );

  // ui
  program
    .command('ui')
    .description('web dashboard over the store: runs (compare with charts), models (promote/rollback), monitoring')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8090')
    .option('--host <host>', 'address to bind (API keys are required off loopback)', '127.0.0.1')
    .addOption(new Option('--auth <mode>', 'API-key auth').choices(['auto', 'required', 'disabled']).default('auto'))
    .addHelpText(
      'after',
      examples([
        ['mlops ui', 'open http://127.0.0.1:8090/ui/ over the embedded store (this process owns it)'],
        ['mlops ui --store postgres://mlops@db/mlops --port 9000', 'beside a running server, on PostgreSQL'],
      ]),
    )
    .action(
      action(
        lazy(
          () => import('./commands/ui.js'),
          (m) => m.uiCommand,
        ),
        (_args, o) => {
          const port = Number(o.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw usageError(`Invalid --port "${String(o.port)}": expected 0-65535`);
          }
          return { port, host: o.host as string, auth: o.auth as 'auto' | 'required' | 'disabled' };
        },
      ),
    );

  // retrain
  program
    .command('retrain')
    .description('one continuous-training step (for a CronJob): evaluate triggers, retrain, gate, promote, record')
    .argument('<config>', 'module exporting createPolicy({ store, registry, objects }) (a .js file, or .ts under tsx)')
    .option('--export <name>', 'name of the factory export', 'createPolicy')
    .option('--force', 'retrain even if no trigger fires')
    .option('--reason <text>', 'why (recorded with a forced run)')
    .option('--dry-run', 'only evaluate the triggers; change nothing')
    .addHelpText(
      'after',
      examples([
        ['mlops retrain ./retrain.config.js', 'what a CronJob runs: exit 0 no-action/promoted, 4 rejected, 1 failed'],
        ['mlops retrain ./retrain.config.js --dry-run --json', 'would it retrain now?'],
        ['mlops retrain ./retrain.config.js --force --reason "new labels"', 'retrain now'],
      ]),
    )
    .action(
      action(
        lazy(
          () => import('./commands/retrain.js'),
          (m) => m.retrainCommand,
        ),
        ([config], o) => ({
          config: config as string,
          export: o.export as string,
          force: o.force === true,
          reason: o.reason as string | undefined,
          dryRun: o.dryRun === true,
          ...(io.importModule ? { importModule: io.importModule } : {}),
        }),
      ),
    );

  return program;
}

/** `--window`: a duration such as 30m, 6h or 7d, in milliseconds. */
function parseWindow(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const ms = m ? Math.round(Number(m[1]) * unit[m[2]!]!) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1)
    throw usageError(`Invalid --window "${text}": expected a duration such as 30m, 6h or 7d`);
  return ms;
}

function positiveInt(value: unknown, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw usageError(`Invalid --${what} "${String(value)}": expected a positive integer`);
  return n;
}

function usageError(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

function printError(err: unknown, json: boolean, stderr: TextSink): void {
  if (json) {
    stderr.write(`${toJson(errorJson(err))}\n`);
    return;
  }
  const code = errorCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const lines = [`error: ${message}${code ? ` [${code}]` : ''}`];
  const details = (err as { details?: unknown } | null)?.details;
  if (Array.isArray(details) && details.length > 0 && code === 'INVALID_INPUT' && !message.includes(':')) {
    for (const d of details as { path?: string; message?: string }[]) lines.push(`  ${d.path}: ${d.message}`);
  }
  const evidence = decisionEvidence((details as { decision?: unknown } | undefined)?.decision);
  if (code === 'GATE_FAILED' && evidence) lines.push('Gate evidence:', ...formatEvidence(evidence));
  const hint = hintFor(err);
  if (hint) lines.push(`hint: ${hint}`);
  if (exitCodeFor(err) === EXIT_CODES.ERROR && process.env.MLOPS_DEBUG && err instanceof Error && err.stack) {
    lines.push(err.stack);
  }
  stderr.write(`${lines.join('\n')}\n`);
}

/**
 * Runs `mlops` with the given arguments (without `node` and the script) and resolves to the exit code; never calls
 * `process.exit`. Errors are printed to stderr (as `{ error: { code, message, exitCode } }` with `--json`).
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2));
 */
export async function run(argv: string[], io: RunOptions = {}): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  const state = { exitCode: EXIT_CODES.OK as number, json: argv.includes('--json') };
  const program = createProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_CODES.OK;
      // commander has already printed the message (and the help for a missing subcommand)
      return EXIT_CODES.USAGE;
    }
    printError(err, state.json, stderr);
    return exitCodeFor(err);
  }
}
