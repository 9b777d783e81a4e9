// SECOM semiconductor defect prediction, end to end (see README.md).
//
//   npm run example:secom -- --simulate            the whole run on simulated sensor readings (real labels)
//   npm run example:secom -- --quick --simulate    fewer and smaller forests (CI)
//   npm run example:secom                          the real feature file (secom.data) when it can be found
//   --home DIR  --seed N  --workers N (threads per forest)  --trees N (baseline forest; the study's scale with it)
//   --objects URL  the object store (default MLOPS_OBJECTS, else <home>/objects): a folder or s3://bucket/prefix?…
import { parseArgs } from 'node:util';
import { log } from '@mlops/example-kit';
import { runSecom } from './run.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    simulate: { type: 'boolean', default: false },
    home: { type: 'string', default: '.mlops' },
    objects: { type: 'string' },
    seed: { type: 'string', default: '42' },
    workers: { type: 'string', default: '2' },
    trees: { type: 'string' },
  },
});

runSecom({
  quick: args.quick,
  simulate: args.simulate,
  home: args.home,
  ...(args.objects !== undefined ? { objects: args.objects } : {}),
  seed: Number(args.seed),
  workers: Number(args.workers),
  ...(args.trees !== undefined ? { trees: Number(args.trees) } : {}),
}).catch((err: unknown) => {
  const e = err as Error & { code?: string };
  log('error', e.message, { code: e.code ?? 'UNKNOWN' });
  process.exitCode = 1;
});
