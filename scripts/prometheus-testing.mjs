// For the tests that run Debian's Prometheus and Alertmanager (named `… [prometheus]`): where the binaries are missing
// they skip with a printed reason; under MLOPS_TEST_REQUIRE_PROMETHEUS=1 (CI, whose .ci/run installs them) the file
// fails instead, and scripts/check-prometheus-ran.mjs fails the run if any [prometheus] test did not pass.
import { missingBinaries } from './stack.mjs';

export const TEST_REQUIRE_PROMETHEUS_ENV = 'MLOPS_TEST_REQUIRE_PROMETHEUS';
const warned = new Set();

/** Why `what` cannot run here (undefined: it can), after printing it once; throws when CI requires the binaries. */
export function prometheusSkipReason(what, tools = ['prometheus', 'alertmanager', 'promtool', 'amtool']) {
  const missing = missingBinaries(tools);
  if (!missing) return undefined;
  if (['1', 'true'].includes(process.env[TEST_REQUIRE_PROMETHEUS_ENV] ?? '')) {
    throw new Error(`${missing}, but ${TEST_REQUIRE_PROMETHEUS_ENV}=1 requires ${what}`);
  }
  if (!warned.has(what)) {
    warned.add(what);
    console.warn(`[mlops] ${missing}: ${what} is skipped.`);
  }
  return missing;
}
