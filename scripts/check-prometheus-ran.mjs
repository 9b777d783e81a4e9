#!/usr/bin/env node
// Fails unless the vitest JSON report shows the Prometheus/Alertmanager tests ([prometheus] in their names: the alert
// loop, `npm run stack`, promtool and amtool checks) and every one of them passed: in CI, which installs Debian's
// prometheus and prometheus-alertmanager, such a test must never be skipped.
import { main } from './check-suites-ran.mjs';

process.exit(main(process.argv[2], ['[prometheus]']));
