// docs/tutorial.md, run as a learner runs it: its files are written from the page into a fresh folder inside the
// clone, and its commands run in order against the BUILT packages (`npx mlops` is packages/cli's bin, `npx tsx` is
// node --import tsx), so a renamed option, a changed output or a broken step fails here before a learner meets it.
// Quick mode: the tuning study runs 3 trials instead of the page's 8, and servers listen on port 0. Every command
// run here must appear verbatim on the page (ports, ids and that trial count aside).
//
// Needs the real IT-ticket data offline (MLOPS_DATASETS_DIR or ../shared/datasets): without it the test is skipped,
// as every [real-data] test is (an error under MLOPS_TEST_REQUIRE_DATA=1). MLOPS_TUTORIAL_KEEP=1 keeps the folder
// (.tutorial-smoke-<pid>/, with transcript.txt: every command and its output).
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTestData } from '@mlops/core/testing';
import { loadTicketTopics } from '@mlops/datasets';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tutorial = readFileSync(join(root, 'docs/tutorial.md'), 'utf8');
const MLOPS = join(root, 'packages/cli/bin/mlops.js');
const QUICK_TRIALS = 3;
const topics = await loadTestData('IT tickets (tutorial)', () => loadTicketTopics({ offline: true }));

/** The files the page asks to create: code blocks that start with a `// name` comment, and `Create \`x.json\`:` blocks. */
export function tutorialFiles(page: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of page.matchAll(/```(?:ts|js)\n\/\/ ([\w.-]+\.(?:ts|mjs))\n([\s\S]*?)```/g)) files.set(m[1]!, m[2]!);
  for (const m of page.matchAll(/Create `([\w.-]+\.json)`(?:(?!```)[\s\S])*?\n```json\n([\s\S]*?)```/g)) {
    files.set(m[1]!, m[2]!);
  }
  return files;
}

/** Splits a command line as a shell would for these commands: words, and "double-quoted" words. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const dir = join(root, `.tutorial-smoke-${process.pid}`);
const transcript = join(dir, 'transcript.txt');
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  if (process.env.MLOPS_TUTORIAL_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
});

/** The process of a tutorial command (`npx mlops …`, `npx tsx …`, optionally after `VAR=value`). */
function start(line: string, env: Record<string, string> = {}): ChildProcess {
  const w = words(line);
  const vars: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(w[0]!)) {
    const [k, ...v] = w.shift()!.split('=');
    vars[k!] = v.join('=');
  }
  expect(w[0], line).toBe('npx');
  const argv = w[1] === 'mlops' ? [MLOPS, ...w.slice(2)] : w[1] === 'tsx' ? ['--import', 'tsx', ...w.slice(2)] : [];
  expect(argv.length, `unknown command: ${line}`).toBeGreaterThan(0);
  const child = spawn(process.execPath, argv, {
    cwd: dir,
    env: { ...process.env, CI: 'true', MLOPS_PROGRESS: 'silent', ...env, ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs one command to its end; `shown` is the line as the page shows it (checked), `line` what runs. */
async function run(shown: string, line = shown, env: Record<string, string> = {}) {
  expect(tutorial, `the tutorial shows: ${shown}`).toContain(shown);
  const child = start(line, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((r, reject) => {
    child.once('close', r);
    child.once('error', reject);
  });
  appendFileSync(transcript, `$ ${line}\n${stdout}${stderr ? `[stderr]\n${stderr}` : ''}[exit ${code}]\n\n`);
  return { code, stdout, stderr };
}

/** Starts a long-running command (`mlops serve`, `mlops ui`) and resolves with its URL once it prints it. */
async function serve(shown: string, line: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  expect(tutorial, `the tutorial shows: ${shown}`).toContain(shown);
  const child = start(line);
  let out = '';
  const url = await new Promise<string>((resolvePromise, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /(?:Serving|Dashboard) at (http:\/\/127\.0\.0\.1:\d+\/?(?:ui\/)?)/.exec(out);
      if (m) resolvePromise(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${line} exited ${code}: ${out}`)));
    child.once('error', reject);
  });
  appendFileSync(transcript, `$ ${line} &\n${out}\n`);
  return {
    url: url.replace(/\/$/, ''),
    stop: () => {
      const closed = new Promise<number | null>((r) => child.once('exit', r));
      child.kill('SIGINT'); // Ctrl-C: drain, flush the prediction log, release the store
      return closed;
    },
  };
}

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe.skipIf(!topics)('docs/tutorial.md, run as written [real-data]', () => {
  it('writes its files', () => {
    const files = tutorialFiles(tutorial);
    expect([...files.keys()].sort()).toEqual(['get-data.ts', 'objective.mjs', 'traffic.ts', 'train.ts', 'tune.json']);
    mkdirSync(dir, { recursive: true });
    for (const [name, code] of files) writeFileSync(join(dir, name), code);
    writeFileSync(transcript, '');
  });

  it('runs its commands in order: data, tracked runs, tuning, comparison, gate, serving, drift, retraining, rollback', async () => {
    let r = await run('npx tsx get-data.ts');
    expect(r.stdout).toContain('wrote data/tickets.csv (2000 rows) and data/tickets-next-week.csv (600 rows)');

    r = await run('npx mlops data add data/tickets.csv --name tickets');
    expect(r.stdout).toMatch(/^Versioned tickets \(file, 563\.1 KiB\) as [0-9a-f]{12}/);
    r = await run('npx mlops data report data/tickets.csv --target label --html data/report.html');
    expect(r.stdout).toContain('label   categorical  0.0%     8');

    // a baseline and two variations, each a tracked run
    const ids: Record<string, string> = {};
    for (const [name, flags] of [
      ['baseline', '--C 1 --ngram-max 1'],
      ['words-C10', '--C 10 --ngram-max 1'],
      ['pairs-C10', '--C 10 --ngram-max 2'],
    ] as const) {
      r = await run(`npx tsx train.ts --name ${name} ${flags}`);
      expect(r.code, r.stderr).toBe(0);
      const m = new RegExp(`^run ([0-9a-f-]{36}) \\(${name}\\): accuracy 0\\.\\d{3}, macro-F1 0\\.\\d{3}`).exec(
        r.stdout,
      );
      expect(m, r.stdout).not.toBeNull();
      ids[name] = m![1]!;
    }

    // the tuning study (3 trials here, 8 on the page)
    r = await run('npx mlops tune tune.json', `npx mlops tune tune.json --trials ${QUICK_TRIALS}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`study tickets-tfidf: ${QUICK_TRIALS} trials (${QUICK_TRIALS} complete`);
    const best = /best: trial (\d+), value ([\d.]+) \(maximize\), C=([\d.]+) ngramMax=(\d), run ([0-9a-f-]{36})/.exec(
      r.stdout,
    );
    expect(best, r.stdout).not.toBeNull();
    const bestRun = best![5]!;

    // the page's command, with the page's best parameters (the quick study's best may differ), so the steps that
    // follow (triggers, gate) see the model the page describes
    r = await run('npx tsx train.ts --name tuned --C 36.58 --ngram-max 1 --register');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('registered tickets v1');
    ids.tuned = /^run ([0-9a-f-]{36}) \(tuned\)/.exec(r.stdout)![1]!;

    r = await run('npx mlops runs ls -e tickets');
    for (const name of ['baseline', 'words-C10', 'pairs-C10', 'tuned', 'study tickets-tfidf']) {
      expect(r.stdout).toContain(name);
    }
    r = await run(
      'npx mlops runs compare',
      `npx mlops runs compare ${ids.baseline} ${ids['words-C10']} ${ids['pairs-C10']} ${ids.tuned} ${bestRun}`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^KEY\s+baseline\s+words-C10\s+pairs-C10\s+tuned\s+trial \d+\s+DIFFERS/);
    expect(r.stdout).toMatch(/^macro_f1 .*\*$/m);

    // the dashboard's compare page reads the same runs
    const ui = await serve('npx mlops ui', 'npx mlops ui --port 0');
    const compared = (await (await fetch(`${ui.url}/api/compare?ids=${ids.baseline},${ids.tuned}`)).json()) as {
      runs: { id: string }[];
    };
    expect(compared.runs.map((x) => x.id)).toEqual([ids.baseline, ids.tuned]);
    expect(tutorial).toContain('/ui/#/compare?ids=');
    expect(await ui.stop()).toBe(0);

    r = await run('npx mlops models promote tickets 1 --gate "accuracy>=0.7" --reason "first model"');
    expect(r.stdout).toContain('Promoted tickets v1 to production (no previous version)');

    // serve, predict, feedback, live traffic, drift in /metrics
    let server = await serve('npx mlops serve tickets --port 8080', 'npx mlops serve tickets --port 0');
    const predicted = await post(`${server.url}/v1/models/tickets/predict`, {
      instances: [{ text: 'my laptop screen is broken' }, { text: 'please grant me access to the shared folder' }],
    });
    expect(predicted.status).toBe(200);
    const [first] = predicted.body.predictions as { id: string }[];
    expect((await post(`${server.url}/v1/feedback`, { predictionId: first!.id, label: 'Hardware' })).status).toBe(201);
    r = await run('npx tsx traffic.ts', `npx tsx traffic.ts data/tickets-next-week.csv ${server.url}`);
    expect(r.stdout).toMatch(/^600 predictions with feedback, accuracy 0\.\d{3}/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^mlops_dataset_drift_detected\{model="tickets",version="1"\} 1$/m);
    expect(await server.stop()).toBe(0);

    r = await run('npx mlops drift data/tickets.csv data/tickets-next-week.csv --target label --html data/drift.html');
    expect(r.stdout).toContain('Dataset drift: DETECTED');

    // continuous training
    const env = { MLOPS_MODEL: 'tickets' };
    r = await run('npx mlops retrain ../deploy/retrain.config.mjs --dry-run', undefined, env);
    expect(r.stdout).toMatch(/^tickets@production: would retrain \(\d triggers? fired\)\n {2}drift: /);
    r = await run('npx mlops retrain ../deploy/retrain.config.mjs', undefined, env);
    expect(r.stdout).toMatch(/^tickets@production: promoted \(candidate v2, incumbent v1(, run [0-9a-f-]{36})?\)$/m);
    expect(r.code).toBe(0);
    r = await run('npx mlops models versions tickets');
    expect(r.stdout).toMatch(/^2 +ready +production /m);

    // serve v2, roll back through the running server
    server = await serve('npx mlops serve tickets --port 8080', 'npx mlops serve tickets --port 0');
    r = await run(
      'npx mlops --server http://127.0.0.1:8080 models rollback tickets --reason "tutorial: try the rollback"',
      `npx mlops --server ${server.url} models rollback tickets --reason "tutorial: try the rollback"`,
    );
    expect(r.stdout).toContain('Rolled back tickets production: v2 → v1');
    const after = await post(`${server.url}/v1/models/tickets/predict`, {
      instances: [{ text: 'webcam and headset not working on hotdesk' }],
    });
    expect(after.body.version).toBe('1');
    expect(await server.stop()).toBe(0);
  }, 600_000);
});
