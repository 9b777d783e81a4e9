import { Option } from '@commander-js/extra-typings';
import { collect, examples, positiveInt, type RegisterCommands } from '../_shared.js';

const handlers = () => import('./handlers.js');

/** `mlops models ls|versions|aliases|history|audit|promote|rollback`: the model registry, in-process or over `--server`. */
export const registerModels: RegisterCommands = (program, host) => {
  const models = program
    .command('models')
    .description('the model registry: list, promote through a gate, roll back')
    .addHelpText(
      'after',
      examples([
        ['mlops models ls', 'models and their aliases'],
        ['mlops models promote churn 3 --gate "accuracy>=0.9" --gate "f1>=incumbent-0.01"', 'gated promotion'],
        ['mlops models rollback churn', 'production back to the previous version'],
        ['mlops models history churn --alias production', 'where production pointed over time'],
        ['mlops models audit churn', 'who changed what, when and why'],
        ['mlops --server http://127.0.0.1:8080 models ls', 'against a running server'],
      ]),
    );

  models
    .command('ls')
    .description('registered models with their aliases')
    .option('--query <text>', 'name contains')
    .option('--limit <n>', 'most models listed', '100')
    .addHelpText('after', examples([['mlops models ls --json', 'as JSON']]))
    .action((opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const limit = positiveInt(opts.limit, 'limit');
        return (await handlers()).modelsLs({ query: opts.query, limit }, ctx, out);
      }),
    );

  models
    .command('versions')
    .description('versions of a model, newest first')
    .argument('<model>', 'model name')
    .addOption(new Option('--status <status>', 'only this status').choices(['pending', 'ready', 'failed', 'archived']))
    .option('--limit <n>', 'most versions listed', '100')
    .addHelpText('after', examples([['mlops models versions churn', 'every version with metrics and aliases']]))
    .action((model, opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const limit = positiveInt(opts.limit, 'limit');
        return (await handlers()).modelsVersions({ model, status: opts.status, limit }, ctx, out);
      }),
    );

  models
    .command('aliases')
    .description('aliases of a model and their versions')
    .argument('<model>', 'model name')
    .addHelpText('after', examples([['mlops models aliases churn', 'production → v3, staging → v4']]))
    .action((model, _opts, cmd) =>
      host.run(cmd, async (ctx, out) => (await handlers()).modelsAliases({ model }, ctx, out)),
    );

  models
    .command('history')
    .description("an alias's history: every move (set, promote, rollback, delete), newest first")
    .argument('<model>', 'model name')
    .option('-a, --alias <alias>', 'only this alias (default: every alias of the model)')
    .option('--limit <n>', 'most entries listed', '100')
    .addHelpText(
      'after',
      examples([
        ['mlops models history churn --alias production', 'where production pointed, when, who moved it and why'],
        ['mlops models history churn --json', 'every alias, as JSON'],
      ]),
    )
    .action((model, opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const limit = positiveInt(opts.limit, 'limit');
        return (await handlers()).modelsHistory({ model, alias: opts.alias, limit }, ctx, out);
      }),
    );

  models
    .command('audit')
    .description("the registry's audit log: every write with who, when and why, newest first")
    .argument('[model]', 'only entries of this model (default: every model)')
    .option('--action <action>', 'only this action (e.g. alias.promoted, alias.rolled-back, version.created)')
    .option('--principal <who>', 'only entries by this principal')
    .option('--limit <n>', 'most entries listed', '100')
    .addHelpText(
      'after',
      examples([
        ['mlops models audit churn', "churn's audit log"],
        ['mlops models audit --action alias.rolled-back', 'every rollback'],
        ['mlops --server http://127.0.0.1:8080 models audit --json', "a running server's audit log, as JSON"],
      ]),
    )
    .action((model, opts, cmd) =>
      host.run(cmd, async (ctx, out) => {
        const limit = positiveInt(opts.limit, 'limit');
        return (await handlers()).modelsAudit(
          { model, action: opts.action, principal: opts.principal, limit },
          ctx,
          out,
        );
      }),
    );

  models
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
    .action((model, version, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).modelsPromote(
          {
            model,
            version,
            alias: opts.alias,
            gate: opts.gate,
            gateJson: opts.gateJson,
            expectIncumbent: opts.expectIncumbent,
            reason: opts.reason,
          },
          ctx,
          out,
        ),
      ),
    );

  models
    .command('rollback')
    .description('move an alias back to its previous version')
    .argument('<model>', 'model name')
    .option('-a, --alias <alias>', 'alias to move back', 'production')
    .option('--reason <text>', 'recorded in the audit log')
    .addHelpText('after', examples([['mlops models rollback churn --reason "accuracy dropped"', 'with a reason']]))
    .action((model, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).modelsRollback({ model, alias: opts.alias, reason: opts.reason }, ctx, out),
      ),
    );
};
