#!/usr/bin/env node
// `npm run stack`: the monitoring stack without Docker. Starts Debian's Prometheus and Alertmanager on this machine
// with the host configs (deploy/host/prometheus.yml, deploy/host/alertmanager.yml, the rules of
// deploy/prometheus/alerts.yml) against a model server already running on this machine (`node deploy/server.mjs`,
// `npm run serve -w @mlops/example-it-tickets`), prints the URLs and stops both cleanly on Ctrl-C.
//
//   npm run stack -- [--server http://127.0.0.1:8080] [--prometheus-port 9090] [--alertmanager-port 9093]
//                    [--data .mlops/stack]
//
// MLOPS_API_KEY, when set, is the bearer token Alertmanager sends to the server's receiver (scope pipelines:retrain;
// a server on loopback without keys needs none). Install the binaries with `apt-get install prometheus
// prometheus-alertmanager` (Debian/Ubuntu); elsewhere put `prometheus` and `alertmanager` on the PATH.
//
// The functions below are also what the tests use (scripts/alert-loop.test.ts, scripts/stack.test.ts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOST_PROMETHEUS = join(ROOT, 'deploy/host/prometheus.yml');
export const HOST_ALERTMANAGER = join(ROOT, 'deploy/host/alertmanager.yml');
export const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');

/** Debian names first (the Alertmanager binary is `prometheus-alertmanager` there). */
const NAMES = {
  prometheus: ['prometheus'],
  alertmanager: ['prometheus-alertmanager', 'alertmanager'],
  promtool: ['promtool'],
  amtool: ['amtool'],
};

/** The path of a tool (`prometheus`, `alertmanager`, `promtool`, `amtool`) on the PATH or in /usr/bin, or undefined. */
export function findBinary(tool) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  for (const name of NAMES[tool] ?? [tool]) {
    for (const d of dirs) {
      const p = join(d, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/** Why the stack cannot run here (a missing binary), or undefined when it can. */
export function missingBinaries(tools = ['prometheus', 'alertmanager']) {
  const missing = tools.filter((t) => !findBinary(t));
  if (missing.length === 0) return undefined;
  return `${missing.map((t) => NAMES[t]?.[0] ?? t).join(', ')} not found (Debian/Ubuntu: apt-get install prometheus prometheus-alertmanager)`;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Writes runnable copies of the host configs into `dir`: the server and Alertmanager addresses replaced, the rules
 * file absolute, the bearer key written beside the Alertmanager config. Options for tests: `scrapeInterval`,
 * `evaluationInterval`, `ruleFor` (every rule's `for:`), `groupWait`, `groupInterval`, `repeatInterval`.
 */
export function writeStackConfigs(dir, o) {
  mkdirSync(dir, { recursive: true });
  const server = new URL(o.serverUrl);
  const prom = parse(readFileSync(HOST_PROMETHEUS, 'utf8'));
  if (o.scrapeInterval) prom.global.scrape_interval = o.scrapeInterval;
  if (o.evaluationInterval) prom.global.evaluation_interval = o.evaluationInterval;
  let rulesPath = RULES;
  if (o.ruleFor !== undefined) {
    const rules = parse(readFileSync(RULES, 'utf8'));
    for (const g of rules.groups) {
      if (o.evaluationInterval) g.interval = o.evaluationInterval;
      for (const r of g.rules) if (r.alert) r.for = o.ruleFor;
    }
    rulesPath = join(dir, 'alerts.yml');
    writeFileSync(rulesPath, stringify(rules));
  }
  prom.rule_files = [rulesPath];
  prom.alerting.alertmanagers[0].static_configs[0].targets = [`127.0.0.1:${o.alertmanagerPort}`];
  prom.scrape_configs[0].static_configs[0].targets = [server.host];
  const prometheusConfig = join(dir, 'prometheus.yml');
  writeFileSync(prometheusConfig, stringify(prom));

  const am = parse(readFileSync(HOST_ALERTMANAGER, 'utf8'));
  if (o.groupWait) am.route.group_wait = o.groupWait;
  if (o.groupInterval) am.route.group_interval = o.groupInterval;
  if (o.repeatInterval) am.route.repeat_interval = o.repeatInterval;
  const keyFile = join(dir, 'mlops-api-key');
  writeFileSync(keyFile, o.apiKey ?? 'none', { mode: 0o600 });
  for (const r of am.receivers) {
    for (const w of r.webhook_configs ?? []) {
      const u = new URL(w.url);
      w.url = new URL(u.pathname, server).href;
      w.http_config.authorization.credentials_file = keyFile;
    }
  }
  const alertmanagerConfig = join(dir, 'alertmanager.yml');
  writeFileSync(alertmanagerConfig, stringify(am));
  return { prometheusConfig, alertmanagerConfig, rulesPath };
}

function startProcess(name, bin, args, log) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d) => {
    output = (output + d).slice(-20_000);
    log?.(d);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { name, child, exited, output: () => output };
}

async function waitReady(url, proc, timeoutMs) {
  const until = Date.now() + timeoutMs;
  let exited = false;
  proc.exited.then(() => {
    exited = true;
  });
  while (Date.now() < until) {
    if (exited) throw new Error(`${proc.name} exited before it was ready:\n${proc.output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} not ready at ${url} after ${timeoutMs} ms:\n${proc.output()}`);
}

/**
 * Starts Alertmanager then Prometheus on 127.0.0.1 with runnable copies of the host configs in `dir` (data there
 * too); resolves once both answer their readiness endpoint. `stop()` sends SIGTERM and waits for both to exit.
 */
export async function startStack(o) {
  const missing = missingBinaries();
  if (missing) throw new Error(missing);
  const dir = resolve(o.dir);
  const prometheusPort = o.prometheusPort ?? (await freePort());
  const alertmanagerPort = o.alertmanagerPort ?? (await freePort());
  const configs = writeStackConfigs(join(dir, 'config'), { ...o, alertmanagerPort });
  const alertmanager = startProcess(
    'alertmanager',
    findBinary('alertmanager'),
    [
      `--config.file=${configs.alertmanagerConfig}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
      '--cluster.listen-address=',
    ],
    o.log,
  );
  const prometheus = startProcess(
    'prometheus',
    findBinary('prometheus'),
    [
      `--config.file=${configs.prometheusConfig}`,
      `--storage.tsdb.path=${join(dir, 'prometheus')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ],
    o.log,
  );
  const urls = {
    prometheus: `http://127.0.0.1:${prometheusPort}`,
    alertmanager: `http://127.0.0.1:${alertmanagerPort}`,
  };
  const stop = async () => {
    for (const p of [prometheus, alertmanager]) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    const kill = setTimeout(() => {
      for (const p of [prometheus, alertmanager]) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }, 10_000);
    const exits = await Promise.all([prometheus.exited, alertmanager.exited]);
    clearTimeout(kill);
    return { prometheus: exits[0], alertmanager: exits[1] };
  };
  try {
    await waitReady(`${urls.alertmanager}/-/ready`, alertmanager, o.readyTimeoutMs ?? 30_000);
    await waitReady(`${urls.prometheus}/-/ready`, prometheus, o.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, configs, prometheus, alertmanager, stop };
}

/** The scrape targets Prometheus knows, with their health (`up`, `down`, `unknown`). */
export async function prometheusTargets(prometheusUrl) {
  const body = await (await fetch(`${prometheusUrl}/api/v1/targets`)).json();
  return body.data.activeTargets.map((t) => ({ job: t.labels.job, url: t.scrapeUrl, health: t.health }));
}

async function main() {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: process.env.MLOPS_SERVER_URL || 'http://127.0.0.1:8080' },
      'prometheus-port': { type: 'string', default: '9090' },
      'alertmanager-port': { type: 'string', default: '9093' },
      data: { type: 'string', default: '.mlops/stack' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('\n')
        .slice(1, 13)
        .join('\n'),
    );
    return 0;
  }
  const missing = missingBinaries();
  if (missing) {
    console.error(`npm run stack: ${missing}`);
    return 2;
  }
  const stack = await startStack({
    serverUrl: values.server,
    prometheusPort: Number(values['prometheus-port']),
    alertmanagerPort: Number(values['alertmanager-port']),
    dir: values.data,
    apiKey: process.env.MLOPS_API_KEY,
  });
  const version = spawnSync(findBinary('prometheus'), ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  console.log(`monitoring stack (${version}) for the server at ${values.server}:`);
  console.log(
    `  Prometheus    ${stack.urls.prometheus}          (targets: ${stack.urls.prometheus}/targets, alerts: ${stack.urls.prometheus}/alerts)`,
  );
  console.log(
    `  Alertmanager  ${stack.urls.alertmanager}          (alerts to ${new URL('/v1/alerts/alertmanager', values.server).href})`,
  );
  console.log(`  data and generated configs in ${resolve(values.data)}; Ctrl-C stops both`);
  let stopping = false;
  const done = new Promise((res) => {
    const onSignal = (signal) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping Prometheus and Alertmanager`);
      stack.stop().then(res);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    // One of them dying on its own ends the stack too.
    Promise.race([stack.prometheus.exited, stack.alertmanager.exited]).then(() => {
      if (stopping) return;
      stopping = true;
      console.error('a process of the stack exited on its own; stopping the other');
      stack.stop().then(() => res('died'));
    });
  });
  const outcome = await done;
  console.log('stopped');
  return outcome === 'died' ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`npm run stack: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}
