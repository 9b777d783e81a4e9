import { Option } from '@commander-js/extra-typings';
import { examples, type RegisterCommands } from '../_shared.js';

const handlers = () => import('./handlers.js');

const remoteOption = () => new Option('--remote <folder|url>', 'remote: a folder, file://…, or s3://bucket/prefix');

/** `mlops data add|status|push|pull|ls|report`: dataset versions and their remotes. */
export const registerData: RegisterCommands = (program, host) => {
  const data = program
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

  data
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
    .action((path, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).dataAdd({ path, name: opts.name, stats: opts.stats }, ctx, out),
      ),
    );

  data
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
    .action((target, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).dataStatus({ target, remote: opts.remote, verify: opts.verify === true }, ctx, out),
      ),
    );

  data
    .command('push')
    .description('upload the objects of a version that the remote lacks')
    .argument('<target>', 'pointer file (*.mlops.json) or the data path beside it')
    .addOption(remoteOption())
    .option('--verify', "re-hash the remote's copies and upload damaged ones again")
    .addHelpText('after', examples([['mlops data push data/train.csv --remote /mnt/remote', 'push to a folder']]))
    .action((target, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).dataPush({ target, remote: opts.remote, verify: opts.verify === true }, ctx, out),
      ),
    );

  data
    .command('pull')
    .description('restore the data of a pointer file from the remote (verified, atomic per file)')
    .argument('<target>', 'pointer file (*.mlops.json) or the data path beside it')
    .addOption(remoteOption())
    .addHelpText(
      'after',
      examples([['mlops data pull data/train.csv.mlops.json --remote /mnt/remote', 'after a git clone']]),
    )
    .action((target, opts, cmd) =>
      host.run(cmd, async (ctx, out) => (await handlers()).dataPull({ target, remote: opts.remote }, ctx, out)),
    );

  data
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
    .action((name, _opts, cmd) => host.run(cmd, async (ctx, out) => (await handlers()).dataLs({ name }, ctx, out)));

  data
    .command('report')
    .description('data-quality report of a file: missing values, outliers, class balance, schema')
    .argument('<file>', 'CSV, TSV, JSON or JSONL file')
    .option('--html <file>', 'write the HTML report here')
    .option('--target <column>', 'the label column (class balance)')
    .addHelpText(
      'after',
      examples([['mlops data report data/train.csv --target label --html quality.html', 'HTML quality report']]),
    )
    .action((file, opts, cmd) =>
      host.run(cmd, async (ctx, out) =>
        (await handlers()).dataReport({ file, html: opts.html, target: opts.target }, ctx, out),
      ),
    );
};
