import { examples, type RegisterCommands } from '../_shared.js';

const handlers = () => import('./handlers.js');

/** `mlops retrain <config>`: one continuous-training step (a CronJob's command). */
export const registerRetrain: RegisterCommands = (program, host) => {
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
        [
          'mlops retrain ./retrain.config.js',
          'a CronJob: exit 0 no-action/promoted, 4 rejected, 9 blocked (broken feed), 1 failed',
        ],
        ['mlops retrain ./retrain.config.js --dry-run --json', 'would it retrain now?'],
        ['mlops retrain ./retrain.config.js --force --reason "new labels"', 'retrain now'],
      ]),
    )
    .action((config, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).retrainCommand(
          {
            config,
            export: opts.export,
            force: opts.force === true,
            reason: opts.reason,
            dryRun: opts.dryRun === true,
            ...(host.importModule ? { importModule: host.importModule } : {}),
          },
          ctx,
          out,
        ),
      ),
    );
};
