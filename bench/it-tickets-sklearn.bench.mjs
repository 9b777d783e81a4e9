// IT-tickets topic model vs scikit-learn's TF-IDF + logistic regression on the same texts and split (seed 42):
// macro-F1, accuracy and fit time of both, measured in the same run. The comparison itself is example code
// (examples/it-tickets/src/compare-sklearn.ts, run with tsx); this file only starts it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(root, 'examples/it-tickets/src/compare-sklearn.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: join(root, 'examples/it-tickets') },
);
process.exit(res.status ?? 1);
