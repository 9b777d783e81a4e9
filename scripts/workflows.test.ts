// The CI/CD files beyond ci.yml and release.yml: what .github/workflows/image.yml and retrain.yml promise, every
// action pinned to a major version, the retrain outcome step run for each exit code, and .gitlab-ci.yml checked
// structurally. (action-validator runs over every workflow file in deploy.test.ts.)
//
// GitLab publishes its CI JSON schema only online (gitlab.com/gitlab-org/gitlab, app/assets/javascripts/editor/schema)
// and it is not on npm, so it cannot be fetched here. The check below is our own and structural: the stages exist,
// every job's stage is declared, `extends` targets exist, job keys are GitLab keywords (a misspelling fails), scripts
// are non-empty strings, images and services carry a pinned tag, and the commands are those of ci.yml.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is navigated freely in assertions
type Yaml = any;
/** A GitHub expression as written in a workflow: gh('inputs.reason') is "${{ inputs.reason }}". */
const gh = (expr: string) => `\${{ ${expr} }}`;
const readYaml = (p: string): Yaml => parse(readFileSync(join(root, p), 'utf8'));
const workflows = ['ci.yml', 'release.yml', 'image.yml', 'retrain.yml'].map((f) => ({
  file: f,
  wf: readYaml(`.github/workflows/${f}`),
}));
const steps = (wf: Yaml): Yaml[] => Object.values(wf.jobs).flatMap((j: Yaml) => j.steps ?? []);

describe('GitHub workflows: pinning', () => {
  it.each(workflows.map((w) => [w.file, w.wf]))('%s pins every action to a major version', (_f, wf) => {
    const uses = steps(wf)
      .map((s) => s.uses)
      .filter(Boolean);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u, u).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
  });
});

describe('image.yml', () => {
  const wf = workflows.find((w) => w.file === 'image.yml')!.wf;
  const all = steps(wf);

  it('runs on a v* tag and by hand, with packages: write only on the job', () => {
    expect(wf.on.push.tags).toEqual(['v*']);
    expect(wf.on.workflow_dispatch).toBeDefined();
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.build.permissions.packages).toBe('write');
  });

  it('builds deploy/Dockerfile with docker/build-push-action, OCI labels, provenance and SBOM, and pushes to GHCR', () => {
    expect(wf.env.IMAGE).toMatch(/^ghcr\.io\//);
    const builds = all.filter((s) => String(s.uses).startsWith('docker/build-push-action@'));
    expect(builds).toHaveLength(2);
    for (const b of builds) {
      expect(b.with.file).toBe('deploy/Dockerfile');
      expect(b.with.labels).toBe(gh('steps.meta.outputs.labels'));
    }
    const push = builds.find((b) => b.with.push === true);
    expect(push.with).toMatchObject({ provenance: 'mode=max', sbom: true, tags: gh('steps.meta.outputs.tags') });
    const meta = all.find((s) => String(s.uses).startsWith('docker/metadata-action@'));
    expect(meta.with.labels).toMatch(/org\.opencontainers\.image\.licenses=Apache-2\.0/);
    expect(all.some((s) => String(s.uses).startsWith('docker/login-action@') && s.with.registry)).toBe(true);
  });

  it('smoke-tests the built image through its own HEALTHCHECK before pushing', () => {
    const i = all.findIndex((s) => /Smoke/.test(s.name ?? ''));
    const pushAt = all.findIndex((s) => s.with?.push === true);
    expect(i).toBeGreaterThan(-1);
    expect(i).toBeLessThan(pushAt);
    const run: string = all[i].run;
    expect(run).toContain("docker inspect --format '{{.State.Health.Status}}'");
    expect(run).toContain('test "$status" = healthy');
    expect(run).toMatch(/\/v1\/models\/it-tickets\/predict/);
    // the image under test is the one the previous step loaded
    expect(all[i - 1].with).toMatchObject({ load: true, tags: 'mlops-server:smoke' });
    // and the Dockerfile does have that HEALTHCHECK
    expect(readFileSync(join(root, 'deploy/Dockerfile'), 'utf8')).toMatch(/^HEALTHCHECK[\s\S]*\/v2\/health\/ready/m);
  });
});

describe('retrain.yml', () => {
  const wf = workflows.find((w) => w.file === 'retrain.yml')!.wf;
  const job = wf.jobs.retrain;

  it('runs on a schedule and by hand with force, reason and dry-run inputs', () => {
    expect(wf.on.schedule[0].cron.split(' ')).toHaveLength(5);
    expect(Object.keys(wf.on.workflow_dispatch.inputs).sort()).toEqual(['dry-run', 'force', 'reason']);
    expect(wf.concurrency.group).toBe('retrain');
  });

  it('runs mlops retrain with deploy/retrain.config.mjs against the store secret and uploads the decision', () => {
    expect(job.env.MLOPS_STORE).toBe(gh('secrets.MLOPS_STORE_URL'));
    const run = job.steps.find((s: Yaml) => s.id === 'retrain');
    expect(run.run).toContain('args=(retrain deploy/retrain.config.mjs --json)');
    expect(run.run).toContain(`npx --no-install mlops "\${args[@]}" > retrain-out/decision.json`);
    expect(run.env).toMatchObject({ REASON: gh('inputs.reason') });
    const upload = job.steps.find((s: Yaml) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect(upload.if).toBe('always()');
    expect(upload.with.path).toBe('retrain-out/');
  });

  it('runs on a hosted runner with the store and an S3 object store from secrets, and refuses anything but s3://', () => {
    expect(job['runs-on']).toBe(`\${{ vars.RETRAIN_RUNNER || 'ubuntu-latest' }}`);
    expect(job.env).toMatchObject({
      MLOPS_OBJECTS: gh('secrets.MLOPS_OBJECTS_URL'),
      AWS_ACCESS_KEY_ID: gh('secrets.AWS_ACCESS_KEY_ID'),
      AWS_SECRET_ACCESS_KEY: gh('secrets.AWS_SECRET_ACCESS_KEY'),
    });
    expect(job.env.MLOPS_MODEL).toContain("'ticket-topic'");
    const check = job.steps.find((s: Yaml) => s.name === 'Check the store and object store secrets');
    const runCheck = (env: Record<string, string>) =>
      spawnSync('bash', ['-e', '-c', check.run], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    const store = 'postgres://u:p@db/mlops';
    expect(runCheck({ MLOPS_STORE: store, MLOPS_OBJECTS: 's3://models/prod' }).status).toBe(0);
    expect(runCheck({ MLOPS_STORE: store, MLOPS_OBJECTS: '' }).stdout).toContain('MLOPS_OBJECTS_URL missing');
    expect(runCheck({ MLOPS_STORE: store, MLOPS_OBJECTS: '.mlops/objects' }).status).toBe(1);
    expect(runCheck({ MLOPS_STORE: '', MLOPS_OBJECTS: 's3://models/prod' }).stdout).toContain(
      'MLOPS_STORE_URL missing',
    );
  });

  it.each([
    [0, 0, 'no-action or promoted'],
    [4, 0, '::warning title=Candidate rejected::'],
    [1, 1, '::error title=Retraining failed::mlops retrain exited with 1'],
    [5, 1, '::error title=Retraining failed::mlops retrain exited with 5'],
  ])('the outcome step turns exit %i into status %i (%s)', (code, status, message) => {
    const outcome = job.steps.find((s: Yaml) => s.name === 'Outcome');
    expect(outcome.env.CODE).toBe(gh('steps.retrain.outputs.exit-code'));
    const r = spawnSync('bash', ['-e', '-c', outcome.run], {
      env: { ...process.env, CODE: String(code) },
      encoding: 'utf8',
    });
    expect(r.status).toBe(status);
    expect(r.stdout).toContain(message);
  });
});

/** GitLab CI job keywords (docs.gitlab.com/ee/ci/yaml), for the misspelling check. */
const GITLAB_JOB_KEYS = new Set([
  'after_script',
  'allow_failure',
  'artifacts',
  'before_script',
  'cache',
  'coverage',
  'dependencies',
  'environment',
  'extends',
  'hooks',
  'id_tokens',
  'image',
  'inherit',
  'interruptible',
  'needs',
  'parallel',
  'release',
  'resource_group',
  'retry',
  'rules',
  'script',
  'secrets',
  'services',
  'stage',
  'tags',
  'timeout',
  'trigger',
  'variables',
  'when',
]);
const GITLAB_GLOBAL_KEYS = new Set([
  'default',
  'include',
  'stages',
  'variables',
  'workflow',
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
]);

interface GitlabIssues {
  issues: string[];
  jobs: Record<string, Yaml>;
}

/** The structural check of a parsed .gitlab-ci.yml (see the header). Returns the issues and the resolved jobs. */
function checkGitlab(ci: Yaml): GitlabIssues {
  const issues: string[] = [];
  const stages: string[] = ci.stages ?? ['build', 'test', 'deploy'];
  if (!Array.isArray(stages) || stages.length === 0) issues.push('stages: empty');
  for (const k of GITLAB_GLOBAL_KEYS) {
    if (ci[k] && typeof ci[k] === 'object' && 'script' in ci[k])
      issues.push(`${k}: a global keyword used as a job name`);
  }
  const raw: Record<string, Yaml> = Object.fromEntries(Object.entries(ci).filter(([k]) => !GITLAB_GLOBAL_KEYS.has(k)));
  const resolveJob = (name: string, seen: string[] = []): Yaml => {
    const j = raw[name];
    if (!j || typeof j !== 'object') {
      issues.push(`${seen.at(-1) ?? name}: extends unknown job ${name}`);
      return {};
    }
    const parents: string[] = j.extends === undefined ? [] : [j.extends].flat();
    let merged: Yaml = {};
    for (const p of parents) {
      if (seen.includes(p)) issues.push(`${name}: extends cycle through ${p}`);
      else merged = { ...merged, ...resolveJob(p, [...seen, name]) };
    }
    const { extends: _drop, ...own } = j;
    return { ...merged, ...own };
  };
  const jobs: Record<string, Yaml> = {};
  for (const name of Object.keys(raw)) {
    for (const k of Object.keys(raw[name] ?? {})) {
      if (!GITLAB_JOB_KEYS.has(k)) issues.push(`${name}: unknown keyword ${k}`);
    }
    if (name.startsWith('.')) continue; // a hidden template
    const j = resolveJob(name);
    jobs[name] = j;
    if (!stages.includes(j.stage ?? 'test')) issues.push(`${name}: stage ${j.stage} is not declared in stages`);
    const script = j.trigger ? ['(trigger)'] : j.script;
    if (!Array.isArray(script) || script.length === 0) issues.push(`${name}: script is empty`);
    else for (const line of script) if (typeof line !== 'string' || !line.trim()) issues.push(`${name}: empty line`);
  }
  const matrixValues = (j: Yaml, v: string): string[] =>
    (j.parallel?.matrix ?? []).flatMap((m: Record<string, string | string[]>) => [m[v.slice(1)] ?? []].flat());
  const pinned = (where: string, image: unknown, j: Yaml) => {
    const name = typeof image === 'string' ? image : (image as { name?: string } | undefined)?.name;
    if (!name) return issues.push(`${where}: image without a name`);
    const candidates = name.startsWith('$') ? matrixValues(j, name) : [name];
    if (candidates.length === 0) issues.push(`${where}: ${name} resolves to nothing`);
    for (const c of candidates) {
      const tag = c.includes('@sha256:') ? 'digest' : c.split('/').at(-1)!.split(':')[1];
      if (!tag || tag === 'latest') issues.push(`${where}: ${c} is not pinned to a tag`);
    }
    return undefined;
  };
  if (ci.default?.image) pinned('default.image', ci.default.image, {});
  for (const [name, j] of Object.entries(jobs)) {
    if (j.image) pinned(`${name}.image`, j.image, j);
    for (const s of j.services ?? []) pinned(`${name}.services`, s, j);
    for (const r of j.rules ?? []) if (r.if !== undefined && !String(r.if).trim()) issues.push(`${name}: empty rule`);
    for (const n of j.needs ?? []) {
      const need = typeof n === 'string' ? n : n.job;
      if (!jobs[need] && !raw[need]) issues.push(`${name}: needs unknown job ${need}`);
    }
  }
  return { issues, jobs };
}

describe('.gitlab-ci.yml (structural check, no GitLab schema offline)', () => {
  const ci = readYaml('.gitlab-ci.yml');
  const { issues, jobs } = checkGitlab(ci);

  it('passes the structural check', () => {
    expect(issues).toEqual([]);
    expect(Object.keys(jobs).sort()).toEqual([
      'build',
      'docker-image',
      'examples',
      'lint',
      'retrain',
      'test',
      'typecheck',
    ]);
  });

  it('the check has teeth: a misspelled keyword, an undeclared stage, an empty script and :latest all fail', () => {
    const bad = structuredClone(ci);
    bad.lint.scirpt = bad.lint.script;
    bad.typecheck.stage = 'types';
    bad.build.script = [];
    bad['docker-image'].image = 'docker:latest';
    bad.test.parallel.matrix[0].NODE_IMAGE.push('node');
    bad.image = bad.lint;
    const { issues: found } = checkGitlab(bad);
    expect(found).toEqual(
      expect.arrayContaining([
        'lint: unknown keyword scirpt',
        'typecheck: stage types is not declared in stages',
        'build: script is empty',
        'docker-image.image: docker:latest is not pinned to a tag',
        'test.image: node is not pinned to a tag',
        'image: a global keyword used as a job name',
      ]),
    );
  });

  it('runs the commands of ci.yml, with PostgreSQL 15 as a service for the tests on Node 20/22/24', () => {
    const ciYml = workflows.find((w) => w.file === 'ci.yml')!.wf;
    const ghCommands = steps(ciYml)
      .flatMap((s) => String(s.run ?? '').split('\n'))
      .map((l) => l.trim())
      .filter((l) => /^(npm|node) /.test(l) && !l.startsWith('npm ci'))
      .map((l) => l.split(/\s+/).slice(0, 4).join(' '));
    expect(ghCommands.length).toBeGreaterThanOrEqual(6);
    const glScripts = Object.values(jobs)
      .flatMap((j) => [...(j.before_script ?? ci.default.before_script ?? []), ...(j.script ?? [])])
      .join('\n');
    for (const c of ghCommands) expect(glScripts, c).toContain(c);
    expect(ci.default.before_script[0]).toMatch(/^npm ci /);
    expect(jobs.test.services[0].name).toMatch(/^postgres:15/);
    expect(jobs.test.variables.MLOPS_TEST_POSTGRES_URL).toContain('@postgres:5432/');
    expect(jobs.test.parallel.matrix[0].NODE_IMAGE.map((i: string) => i.match(/node:(\d+)/)![1])).toEqual([
      '20',
      '22',
      '24',
    ]);
    // the checks never run in the retraining schedule
    expect(jobs.lint.rules[0]).toEqual({ if: '$CI_PIPELINE_SOURCE == "schedule"', when: 'never' });
  });

  it('builds the image only on v* tags and retrains only on a schedule/web run with RETRAIN=1, exit 4 allowed', () => {
    expect(jobs['docker-image'].rules).toEqual([{ if: '$CI_COMMIT_TAG =~ /^v/' }]);
    expect(jobs['docker-image'].script.join('\n')).toContain('docker build -f deploy/Dockerfile');
    expect(jobs.retrain.rules.every((r: { if: string }) => /\$RETRAIN == "1"/.test(r.if))).toBe(true);
    expect(jobs.retrain.script.join('\n')).toContain('mlops retrain deploy/retrain.config.mjs --json');
    expect(jobs.retrain.allow_failure).toEqual({ exit_codes: [4] });
    // the model packages live in S3 (a pipeline's runner keeps nothing): anything but s3:// stops the job
    expect(jobs.retrain.script).toContain('export MLOPS_OBJECTS="$MLOPS_OBJECTS_URL"');
    const check = jobs.retrain.script.find((l: string) => l.startsWith('case "$MLOPS_OBJECTS_URL"'));
    for (const [value, status] of [
      ['s3://models/prod', 0],
      ['', 1],
      ['/data/objects', 1],
    ] as const) {
      const r = spawnSync('bash', ['-e', '-c', check], {
        env: { PATH: process.env.PATH, MLOPS_OBJECTS_URL: value },
        encoding: 'utf8',
      });
      expect(r.status, value).toBe(status);
    }
    expect(jobs.retrain.artifacts.paths).toEqual(['retrain-out/']);
  });
});
