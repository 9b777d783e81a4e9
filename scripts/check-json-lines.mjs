#!/usr/bin/env node
// Passes its standard input through to standard output and fails (exit 1) unless every non-empty line is one JSON
// object: the contract of every mlops-ts job when its output is not a terminal (core's createLogger, createProgress,
// consoleAlertSink). .ci/run pipes each example's `--quick` run through it:
//
//   npm run -s example -- --quick | node scripts/check-json-lines.mjs "example it-tickets"
//
// (`npm run -s`: without it npm prints its own `> script` banner on stdout.)
import { createInterface } from 'node:readline';

const what = process.argv[2] ?? 'stdin';
const bad = [];
let n = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
  process.stdout.write(`${line}\n`);
  if (line.trim() === '') continue;
  n++;
  let value;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad.push({ at: n, line });
}
if (n === 0) {
  process.stderr.write(`check-json-lines: ${what} printed nothing\n`);
  process.exit(1);
}
if (bad.length > 0) {
  process.stderr.write(`check-json-lines: ${bad.length} of ${n} lines of ${what} are not JSON objects:\n`);
  for (const b of bad.slice(0, 20)) process.stderr.write(`  line ${b.at}: ${b.line.slice(0, 200)}\n`);
  process.exit(1);
}
process.stderr.write(`check-json-lines: all ${n} lines of ${what} are JSON objects\n`);
