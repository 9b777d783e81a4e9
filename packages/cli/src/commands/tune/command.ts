import { examples, positiveInt, type RegisterCommands } from '../_shared.js';

const handlers = () => import('./handlers.js');

/** `mlops tune <config>`: a worker of a tuning study (one pod of an Indexed Job). */
export const registerTune: RegisterCommands = (program, host) => {
  program
    .command('tune')
    .description(
      'run trials of a tuning study until it has its budget; workers with the same study name share it (PostgreSQL)',
    )
    .argument('<config>', 'study config: a .json file, or a module exporting it (a .js file, or .ts under tsx)')
    .option('--export <name>', 'export of a config module holding the config (or a function returning it)', 'default')
    .option('--study <name>', "the study's name (default: the config's name)")
    .option('--trials <n>', "the study's total trial budget, all workers together (default: the config's trials)")
    .option('--threads <n>', 'worker threads of this process running the objective (default: 1)')
    .option('--lease-ms <ms>', "a dead worker's trial is claimed again after this lease (default: 60000)")
    .option('--worker <name>', "this worker's name in the trial table (default: <hostname>:<pid>)")
    .addHelpText(
      'after',
      examples([
        ['mlops tune study.json', 'run trials until the study has its budget; prints the best trial'],
        [
          'MLOPS_STORE=postgres://… mlops tune study.json --trials 100 & MLOPS_STORE=postgres://… mlops tune study.json --trials 100',
          'two workers on one study (each pod of an Indexed Job runs the same line)',
        ],
        ['mlops tune ./study.config.js --study lr-2 --json', 'a config module, under another study name'],
      ]),
    )
    .action((config, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).tuneCommand(
          {
            config,
            export: opts.export,
            ...(opts.study ? { study: opts.study } : {}),
            ...(opts.trials !== undefined ? { trials: positiveInt(opts.trials, 'trials') } : {}),
            ...(opts.threads !== undefined ? { threads: positiveInt(opts.threads, 'threads') } : {}),
            ...(opts.leaseMs !== undefined ? { leaseMs: positiveInt(opts.leaseMs, 'lease-ms') } : {}),
            ...(opts.worker ? { worker: opts.worker } : {}),
            ...(host.importModule ? { importModule: host.importModule } : {}),
          },
          ctx,
          out,
        ),
      ),
    );
};
