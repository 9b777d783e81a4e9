#!/usr/bin/env node
// Fails unless the vitest JSON report shows PostgreSQL tests ([postgres] in their names) and every one of them passed:
// in CI a PostgreSQL test must never be skipped (check-suites-ran.mjs checks any tag, e.g. [real-data] too).
import { main } from './check-suites-ran.mjs';

process.exit(main(process.argv[2], ['[postgres]']));
