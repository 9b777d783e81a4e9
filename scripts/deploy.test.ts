// Offline validation of deploy/: Kubernetes manifests (kubernetes-models + unknown-field check, after a minimal
// kustomize build of each overlay), the compose file (compose-spec JSON schema), the GitHub workflows
// (@action-validator/cli), the metric names used by alerts and the dashboard (against a real /metrics response), and
// the image's start command run as a process.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FeatureMatrix, Predictor } from '@mlops/core';
import { createStore, fsObjectStore, saveModelPackage } from '@mlops/core';
import { versionDataset } from '@mlops/core/dataset-versions';
import { parseObjectStoreUrl } from '@mlops/core/objects';
import { preprocessingPipeline, tfidfVectorizer } from '@mlops/core/preprocessing';
import { linearFlavor, linearOutputSignature, linearTrainer } from '@mlops/plugin-linear';
import { createRegistry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { describe, expect, it, vi } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const deploy = join(root, 'deploy');
const require = createRequire(import.meta.url);

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
} & Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML manifests are navigated freely in assertions
type Yaml = any;
type ModelCtor = { new (data: object): { validate(): void }; prototype: { validate(): void } };

const MODELS: Record<string, ModelCtor> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/CronJob': CronJob,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};
const CLUSTER_SCOPED = new Set<string>();

function modelFor(obj: K8sObject): ModelCtor {
  const ctor = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!ctor) throw new Error(`No kubernetes-models class registered for ${obj.apiVersion} ${obj.kind}`);
  return ctor;
}

/**
 * Field names the schema does not know. kubernetes-models' compiled validators read every property their schema
 * defines (`data.minReadySeconds === undefined || …`) and iterate the keys of free-form maps (labels, data,
 * resources). Running the validator on proxies records both, so any key that was neither read nor iterated is
 * unknown to the schema (a misspelling, or a field from a newer Kubernetes).
 */
function unknownFields(ctor: ModelCtor, obj: object): string[] {
  const reads = new Map<object, Set<string>>();
  const iterated = new Set<object>();
  const proxies = new WeakMap<object, object>();
  const wrap = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const cached = proxies.get(v);
    if (cached) return cached;
    reads.set(v, new Set());
    const p = new Proxy(v, {
      get(t, k, r) {
        if (typeof k === 'string') reads.get(t)?.add(k);
        return wrap(Reflect.get(t, k, r));
      },
      ownKeys(t) {
        iterated.add(t);
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(v, p);
    return p;
  };
  try {
    ctor.prototype.validate.call(wrap(obj));
  } catch {
    // schema errors are reported by validate() itself; here only the field names matter
  }
  const unknown: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      return;
    }
    if (iterated.has(v)) return; // a free-form map
    const seen = reads.get(v) ?? new Set<string>();
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (!seen.has(k)) unknown.push(p);
      else walk(x, p);
    }
  };
  walk(obj, '');
  return unknown;
}

function validateK8s(obj: K8sObject): void {
  const ctor = modelFor(obj);
  new ctor(obj).validate();
  const unknown = unknownFields(ctor, obj);
  if (unknown.length > 0) throw new Error(`${obj.kind}/${obj.metadata.name}: unknown fields ${unknown.join(', ')}`);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strategic-merge subset: objects merge, lists of objects with `name` merge by name, anything else replaces. */
function merge(base: unknown, patch: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && patch.every((x) => isPlainObject(x) && 'name' in x)) {
    const out = base.map((b) => {
      const p = patch.find((x) => (x as { name: unknown }).name === (b as { name?: unknown }).name);
      return p ? merge(b, p) : b;
    });
    for (const p of patch) {
      if (!base.some((b) => (b as { name?: unknown }).name === (p as { name: unknown }).name)) out.push(p);
    }
    return out;
  }
  return patch;
}

interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path: string }[];
}

const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'images', 'patches']);

function readYamlDocs(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
    return d.toJS();
  });
}

/** A minimal `kustomize build` for the features deploy/k8s uses (every other field fails the test). */
function kustomize(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Kustomization;
  expect(k.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
  expect(k.kind).toBe('Kustomization');
  for (const key of Object.keys(k)) expect(KUSTOMIZATION_KEYS, `${file}: ${key}`).toContain(key);
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    if (!existsSync(p)) throw new Error(`${file}: resource ${r} does not exist`);
    objects.push(...(statSync(p).isDirectory() ? kustomize(p) : (readYamlDocs(p) as K8sObject[])));
  }
  for (const { path } of k.patches ?? []) {
    const p = join(dir, path);
    if (!existsSync(p)) throw new Error(`${file}: patch ${path} does not exist`);
    for (const patch of readYamlDocs(p) as K8sObject[]) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (i < 0) throw new Error(`${p}: patch target ${patch.kind}/${patch.metadata.name} not in the resources`);
      objects[i] = merge(objects[i], patch) as K8sObject;
    }
  }
  for (const img of k.images ?? []) {
    let used = false;
    for (const o of objects) {
      type PodTemplate = { template?: { spec?: { containers?: { image: string }[] } } };
      const spec = o.spec as (PodTemplate & { jobTemplate?: { spec?: PodTemplate } }) | undefined;
      const pod = (spec?.jobTemplate?.spec ?? spec)?.template?.spec; // a CronJob's pod sits one level deeper
      for (const c of pod?.containers ?? []) {
        const [name] = c.image.split(':');
        if (name !== img.name) continue;
        used = true;
        c.image = `${img.newName ?? name}:${img.newTag ?? c.image.split(':')[1] ?? 'latest'}`;
      }
    }
    expect(used, `${file}: image ${img.name} matches no container`).toBe(true);
  }
  for (const l of k.labels ?? []) {
    objects = objects.map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...((o.metadata.labels as object) ?? {}), ...l.pairs } },
    }));
  }
  if (k.namespace) {
    objects = objects.map((o) =>
      CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: k.namespace } },
    );
  }
  return objects;
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return yamlFilesUnder(p);
    return /\.ya?ml$/.test(e.name) && e.name !== 'kustomization.yaml' ? [p] : [];
  });
}

describe('Kubernetes manifests', () => {
  const k8s = join(deploy, 'k8s');

  it('every base manifest and overlay patch parses and names a known kind', () => {
    const files = yamlFilesUnder(k8s);
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) for (const d of readYamlDocs(f) as K8sObject[]) expect(() => modelFor(d), f).not.toThrow();
  });

  it.each(['base', 'overlays/dev', 'overlays/prod'])(
    '%s builds and every object validates without unknown fields',
    (dir) => {
      const objects = kustomize(join(k8s, dir));
      expect(objects.map((o) => o.kind).sort()).toEqual([
        'ConfigMap',
        'ConfigMap',
        'CronJob',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'PodDisruptionBudget',
        'Service',
      ]);
      for (const o of objects) validateK8s(o);
      if (dir !== 'base') for (const o of objects) expect(o.metadata.namespace).toMatch(/^mlops/);
    },
  );

  it('the Deployment probes the OIP health endpoints, runs non-root on a read-only root with /tmp writable', () => {
    const d = kustomize(join(k8s, 'base')).find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: Yaml } };
    };
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/v2/health/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/v2/health/live');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
    expect(c.resources.requests.cpu).toBeDefined();
    const secretKeys = c.env
      .filter((e: { valueFrom?: { secretKeyRef?: unknown } }) => e.valueFrom?.secretKeyRef)
      .map((e: { name: string }) => e.name);
    expect(secretKeys).toEqual(expect.arrayContaining(['MLOPS_STORE', 'MLOPS_LLM_API_KEY']));
  });

  it('every pod reads its object store and S3 credentials from the Secret; no pod mounts a shared volume', () => {
    for (const dir of ['base', 'overlays/dev', 'overlays/prod']) {
      const objs = kustomize(join(k8s, dir));
      expect(objs.map((o) => o.kind)).not.toContain('PersistentVolumeClaim');
      const pods = objs.flatMap((o) => {
        const spec = o.spec as Yaml;
        if (o.kind === 'Deployment' || o.kind === 'Job') return [spec.template.spec];
        if (o.kind === 'CronJob') return [spec.jobTemplate.spec.template.spec];
        return [];
      });
      expect(pods).toHaveLength(3);
      for (const pod of pods) {
        for (const v of pod.volumes ?? []) expect(v.persistentVolumeClaim, `${dir}: ${v.name}`).toBeUndefined();
        const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string }) => [e.name, e]));
        expect(env.MLOPS_OBJECTS.valueFrom.secretKeyRef).toEqual({ name: 'mlops-secrets', key: 'MLOPS_OBJECTS' });
        for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
          // optional: pods with a cloud identity (IRSA, workload identity) need no static keys
          expect(env[k].valueFrom.secretKeyRef).toEqual({ name: 'mlops-secrets', key: k, optional: true });
        }
      }
    }
    const config = kustomize(join(k8s, 'base')).find((o) => o.metadata.name === 'mlops-server-config') as Yaml;
    expect(config.data.MLOPS_OBJECTS_DIR).toBeUndefined();
    // the model the seed step registers (docs/deploy.md) and `npm run example` serves as its topic model
    expect(config.data.MLOPS_MODEL).toBe('ticket-topic');
  });

  it('overlays change what they claim: dev runs one replica, prod pins the image and keeps two pods up', () => {
    const dev = kustomize(join(k8s, 'overlays/dev'));
    const prod = kustomize(join(k8s, 'overlays/prod'));
    const get = (objs: K8sObject[], kind: string) => objs.find((o) => o.kind === kind) as Yaml;
    expect(get(dev, 'Deployment').spec.replicas).toBe(1);
    expect(get(dev, 'HorizontalPodAutoscaler').spec.minReplicas).toBe(1);
    expect(get(prod, 'Deployment').spec.template.spec.containers[0].image).toBe('ghcr.io/mlops-ts/server:0.1.0');
    expect(get(prod, 'PodDisruptionBudget').spec.minAvailable).toBe(2);
    // the patch merged into the container rather than replacing it
    expect(get(prod, 'Deployment').spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe(
      '/v2/health/ready',
    );
  });

  it('the retraining CronJob runs deploy/retrain.config.mjs with the server image, store and objects from the Secret', async () => {
    const cronOf = (objs: K8sObject[]) => objs.find((o) => o.kind === 'CronJob') as Yaml;
    const base = kustomize(join(k8s, 'base'));
    const cron = cronOf(base);
    expect(cron.spec.schedule.split(' ')).toHaveLength(5);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const c = pod.containers[0];
    expect(c.command).toEqual(['node', 'packages/cli/dist/bin.js', 'retrain', 'deploy/retrain.config.mjs', '--json']);
    expect(existsSync(join(root, c.command[3]))).toBe(true);
    // the image contains the config: the Dockerfile copies it next to server.mjs
    expect(readFileSync(join(deploy, 'Dockerfile'), 'utf8')).toMatch(/^COPY .* \/app\/deploy\/retrain\.config\.mjs /m);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const env = Object.fromEntries(c.env.map((e: { name: string }) => [e.name, e]));
    expect(env.MLOPS_STORE.valueFrom.secretKeyRef).toMatchObject({ name: 'mlops-secrets', key: 'MLOPS_STORE' });
    expect(env.MLOPS_OBJECTS.valueFrom.secretKeyRef).toMatchObject({ name: 'mlops-secrets', key: 'MLOPS_OBJECTS' });
    // the exit code of a gate rejection (4) fails the Job without a retry
    expect(cron.spec.jobTemplate.spec.podFailurePolicy.rules[0]).toMatchObject({
      action: 'FailJob',
      onExitCodes: { operator: 'In', values: [4] },
    });
    // every setting in its ConfigMap is one the config module reads
    const config = (await import(pathToFileURL(join(deploy, 'retrain.config.mjs')).href)) as {
      retrainEnvSchema: { shape: Record<string, unknown> };
      readRetrainEnv: (env: Record<string, string>) => Record<string, unknown>;
    };
    const settings = base.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mlops-retrain-config') as Yaml;
    for (const k of Object.keys(settings.data)) expect(Object.keys(config.retrainEnvSchema.shape), k).toContain(k);
    expect(() => config.readRetrainEnv(settings.data)).not.toThrow();
    expect(pod.containers[0].envFrom.map((e: { configMapRef: { name: string } }) => e.configMapRef.name)).toContain(
      'mlops-retrain-config',
    );
    // overlays retag the CronJob's image like the Deployment's
    const prod = kustomize(join(k8s, 'overlays/prod'));
    expect(cronOf(prod).spec.jobTemplate.spec.template.spec.containers[0].image).toBe('ghcr.io/mlops-ts/server:0.1.0');
  });

  it('the tuning Job is an Indexed Job of mlops tune workers on the study config the image ships, store from the Secret', async () => {
    const jobOf = (objs: K8sObject[]) => objs.find((o) => o.kind === 'Job') as Yaml;
    const job = jobOf(kustomize(join(k8s, 'base')));
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism).toBeGreaterThan(1);
    expect(job.spec.completions).toBe(job.spec.parallelism); // one worker per index
    expect(job.spec.suspend).toBe(true); // applying the kustomization starts no study
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const c = pod.containers[0];
    expect(c.command).toEqual(['node', 'packages/cli/dist/bin.js', 'tune', 'deploy/tune.study.json', '--json']);
    const env = Object.fromEntries(c.env.map((e: { name: string }) => [e.name, e]));
    expect(env.MLOPS_STORE.valueFrom.secretKeyRef).toMatchObject({ name: 'mlops-secrets', key: 'MLOPS_STORE' });
    expect(env.MLOPS_OBJECTS.valueFrom.secretKeyRef).toMatchObject({ name: 'mlops-secrets', key: 'MLOPS_OBJECTS' });
    // a bad config (2), a missing one (3) or a study with another definition (4) fails the Job without retries
    expect(job.spec.podFailurePolicy.rules[0]).toMatchObject({
      action: 'FailJob',
      onExitCodes: { containerName: 'tune', operator: 'In', values: [2, 3, 4] },
    });
    // the image contains the study config and its objective, and the config is one mlops tune accepts
    expect(readFileSync(join(deploy, 'Dockerfile'), 'utf8')).toMatch(
      /^COPY .*\/app\/deploy\/tune\.study\.json \/app\/deploy\/tune\.objective\.mjs \.\/deploy\/$/m,
    );
    const { tuneConfigSchema } = await import('@mlops/cli');
    const study = tuneConfigSchema.parse(JSON.parse(readFileSync(join(root, c.command[3]), 'utf8')));
    const objective = typeof study.objective === 'string' ? study.objective : study.objective.module;
    const mod = (await import(pathToFileURL(join(deploy, objective)).href)) as {
      objective: unknown;
      evaluateParams: (d: { texts: string[]; labels: string[] }, p: Record<string, number>) => Promise<number>;
    };
    expect(typeof mod.objective).toBe('function');
    // a trial's training and scoring, on a small separable dataset
    const texts = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? `printer jam paper tray ${i}` : `password reset login locked ${i}`,
    );
    const labels = texts.map((_, i) => (i % 2 ? 'hardware' : 'access'));
    const f1 = await mod.evaluateParams({ texts, labels }, { C: 1, maxFeatures: 100, ngramMax: 1 });
    expect(f1).toBeGreaterThan(0.9);
    // overlays retag the Job's image like the Deployment's
    const prod = kustomize(join(k8s, 'overlays/prod'));
    expect(jobOf(prod).spec.template.spec.containers[0].image).toBe('ghcr.io/mlops-ts/server:0.1.0');
  });

  it('a trial of the tuning objective trains on the latest version of the retrain dataset in the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-tune-objective-'));
    try {
      const csv = join(dir, 'tickets.csv');
      const rows = Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? `"vpn drops on wifi ${i}",network`
          : i % 3 === 1
            ? `"printer jam in tray ${i}",hardware`
            : `"password reset locked ${i}",access`,
      );
      writeFileSync(csv, `text,label\n${rows.join('\n')}\n`);
      const storeUrl = `pglite://${join(dir, 'db')}`;
      const objectsDir = join(dir, 'objects');
      const store = await createStore(storeUrl);
      let version: string;
      try {
        const objects = fsObjectStore({ dir: objectsDir, fsync: false });
        ({ version } = await versionDataset({ path: csv, name: 'tickets', store, objects, progress: false }));
      } finally {
        await store.close();
      }
      // what the Job's pods get: the store, the objects folder and the retrain job's settings
      vi.stubEnv('MLOPS_STORE', storeUrl);
      vi.stubEnv('MLOPS_OBJECTS', objectsDir);
      vi.stubEnv('MLOPS_RETRAIN_DATASET', 'tickets');
      const { objective } = (await import(pathToFileURL(join(deploy, 'tune.objective.mjs')).href)) as {
        objective: (trial: unknown) => Promise<number>;
      };
      const tags: Record<string, string> = {};
      const value = await objective({
        number: 0,
        params: { C: 1, maxFeatures: 200, ngramMax: 2 },
        signal: new AbortController().signal,
        setTag: async (k: string, v: string) => {
          tags[k] = v;
        },
      });
      expect(value).toBeGreaterThan(0.9);
      expect(tags.dataset).toBe(`tickets@${version}`);
    } finally {
      vi.unstubAllEnvs();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a misspelled field passes kubernetes-models validate() but is caught by the unknown-field check', () => {
    const base = kustomize(join(k8s, 'base'));
    const d = structuredClone(base.find((o) => o.kind === 'Deployment')) as Yaml;
    const c = d.spec.template.spec.containers[0];
    c.readynessProbe = c.readinessProbe;
    delete c.readinessProbe;
    d.spec.template.spec.securityContext.runAsNonroot = true;
    expect(() => new Deployment(d).validate()).not.toThrow();
    expect(unknownFields(Deployment, d).sort()).toEqual([
      'spec.template.spec.containers[0].readynessProbe',
      'spec.template.spec.securityContext.runAsNonroot',
    ]);
    expect(() => validateK8s(d)).toThrow(/unknown fields/);
    // and a wrong type is caught by validate() itself
    const bad = structuredClone(base.find((o) => o.kind === 'Deployment')) as Yaml;
    bad.spec.replicas = 'two';
    expect(() => validateK8s(bad)).toThrow();
  });
});

/** `${NAME:-default}`, compose's interpolation syntax, as the compose file spells it. */
const composeVar = (name: string, fallback: string) => ['$', '{', name, ':-', fallback, '}'].join('');

describe('docker-compose.yml', () => {
  const schema = JSON.parse(readFileSync(join(deploy, 'schemas/compose-spec.json'), 'utf8'));
  // The vendored schema says `draft/2019-09/schema#`; ajv registers the meta-schema without the `#`.
  // It also uses draft-04 `id` (string) annotations, which ajv 8 rejects; a property named `id` is an object.
  delete schema.$schema;
  const dropIds = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(dropIds);
    else if (isPlainObject(v)) {
      if (typeof v.id === 'string') delete v.id;
      Object.values(v).forEach(dropIds);
    }
  };
  dropIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2019) => void)(ajv);
  // Compose durations are Go durations (`40s`, `1m30s`), not ISO 8601.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  // Compose-specific formats the spec leaves to the implementation: accept any string.
  for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
  const validate = ajv.compile(schema);
  const compose = parse(readFileSync(join(deploy, 'docker-compose.yml'), 'utf8'));

  it('matches the compose-spec schema', () => {
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema rejects a misspelled service field', () => {
    const bad = structuredClone(compose);
    bad.services.server.enviroment = bad.services.server.environment;
    expect(validate(bad)).toBe(false);
  });

  it('runs the server, PostgreSQL 15, MinIO, Prometheus, Alertmanager and Grafana, and every mounted file exists', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'alertmanager',
      'grafana',
      'minio',
      'minio-bucket',
      'postgres',
      'prometheus',
      'retrain',
      'seed',
      'server',
    ]);
    expect(compose.services.postgres.image).toMatch(/^postgres:15/);
    expect(existsSync(join(deploy, '..', compose.services.server.build.dockerfile))).toBe(true);
    for (const svc of Object.values(compose.services) as { volumes?: string[] }[]) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.')) expect(existsSync(join(deploy, src)), v).toBe(true);
      }
    }
  });
  it('the retrain service runs the retraining config on demand against the same store and objects as the server', async () => {
    const server = compose.services.server;
    const retrain = compose.services.retrain;
    expect(retrain.profiles).toEqual(['retrain']);
    expect(retrain.image).toBe(server.image);
    expect(retrain.command).toEqual([
      'node',
      'packages/cli/dist/bin.js',
      'retrain',
      'deploy/retrain.config.mjs',
      '--json',
    ]);
    expect(retrain.environment.MLOPS_STORE).toBe(server.environment.MLOPS_STORE);
    expect(retrain.environment.MLOPS_OBJECTS).toBe(server.environment.MLOPS_OBJECTS);
    expect(retrain.depends_on.postgres.condition).toBe('service_healthy');
    const config = (await import(pathToFileURL(join(deploy, 'retrain.config.mjs')).href)) as {
      retrainEnvSchema: { shape: Record<string, unknown> };
    };
    const known = [
      ...Object.keys(config.retrainEnvSchema.shape),
      'MLOPS_STORE',
      'MLOPS_OBJECTS',
      'MLOPS_PROGRESS',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ];
    for (const k of Object.keys(retrain.environment)) expect(known, k).toContain(k);
  });

  it('model packages live in MinIO: every mlops service reads one s3:// object store, and no volume is shared', () => {
    const { server, retrain, seed, minio } = compose.services;
    const bucket = compose.services['minio-bucket'];
    // Compose's own interpolation of ${VAR:-default}, enough for these values.
    const interpolate = (v: string) => v.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
    const url = interpolate(server.environment.MLOPS_OBJECTS);
    expect(parseObjectStoreUrl(url)).toMatchObject({
      kind: 's3',
      bucket: 'mlops',
      prefix: 'objects',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
    for (const svc of [server, retrain, seed]) {
      expect(svc.environment.MLOPS_OBJECTS).toBe(server.environment.MLOPS_OBJECTS);
      expect(svc.environment.MLOPS_OBJECTS_DIR).toBeUndefined();
      // Credentials as the AWS SDK reads them: MinIO's root user, from the same variables as MinIO itself.
      expect(svc.environment.AWS_ACCESS_KEY_ID).toBe(composeVar('MINIO_ROOT_USER', 'mlops'));
      expect(svc.environment.AWS_SECRET_ACCESS_KEY).toBe(composeVar('MINIO_ROOT_PASSWORD', 'mlops-minio'));
      expect(svc.volumes ?? []).not.toContainEqual(expect.stringMatching(/objects/));
      expect(svc.depends_on['minio-bucket'].condition).toBe('service_completed_successfully');
    }
    expect(minio.environment.MINIO_ROOT_USER).toBe(composeVar('MINIO_ROOT_USER', 'mlops'));
    expect(minio.environment.MINIO_ROOT_PASSWORD).toBe(composeVar('MINIO_ROOT_PASSWORD', 'mlops-minio'));
    expect(minio.image).toMatch(/minio\/minio:RELEASE\./);
    expect(minio.healthcheck.test).toEqual(['CMD', 'mc', 'ready', 'local']);
    expect(bucket.image).toMatch(/minio\/mc:RELEASE\./);
    expect(bucket.depends_on.minio.condition).toBe('service_healthy');
    expect(bucket.entrypoint.join(' ')).toContain('mc mb --ignore-existing mlops/$$MLOPS_S3_BUCKET');
    expect(interpolate(bucket.environment.MLOPS_S3_BUCKET)).toBe('mlops');
    expect(compose.volumes).not.toHaveProperty('objects');
  });

  it('the seed service runs the documented seed commands; default model names match what the seed and docs register', () => {
    const { server, retrain, seed } = compose.services;
    expect(seed.profiles).toEqual(['seed']);
    expect(seed.image).toBe(server.image);
    const script = seed.command.join(' ').replaceAll('$$', '$');
    expect(script).toContain('cp "$MLOPS_SEED_CSV" /tmp/seed.csv');
    expect(script).toContain('node packages/cli/dist/bin.js data add /tmp/seed.csv --name "$MLOPS_MODEL"');
    expect(seed.volumes).toEqual(['./seed:/seed:ro']);
    expect(seed.tmpfs).toEqual(['/tmp']);
    expect(script).toContain(
      'node packages/cli/dist/bin.js retrain deploy/retrain.config.mjs --export createSeedPolicy',
    );
    expect(seed.environment.MLOPS_STORE).toBe(server.environment.MLOPS_STORE);
    for (const svc of [server, retrain, seed])
      expect(svc.environment.MLOPS_MODEL).toBe(composeVar('MLOPS_MODEL', 'ticket-topic'));
    const docs = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
    expect(docs).toContain('--profile seed run --rm seed');
    expect(docs).toContain('mlops retrain deploy/retrain.config.mjs --export createSeedPolicy');
    // ticket-topic is also what `npm run example` registers (the topic model of examples/it-tickets).
    expect(readFileSync(join(root, 'examples/it-tickets/src/main.ts'), 'utf8')).toContain(
      "const TOPIC = 'ticket-topic'",
    );
  });
});

describe('GitHub workflows', () => {
  const cli = join(dirname(require.resolve('@action-validator/cli/package.json')), 'cli.mjs');
  const run = (file: string) =>
    new Promise<{ code: number | null; out: string }>((res) => {
      const p = spawn(process.execPath, [cli, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (code) => res({ code, out }));
    });
  const dir = join(root, '.github/workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

  it('finds the workflows', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'release.yml']));
  });

  it.each(files)('%s passes action-validator', async (f) => {
    const { code, out } = await run(join(dir, f));
    expect(out).toBe('');
    expect(code).toBe(0);
  });

  it('action-validator rejects a broken workflow', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mlops-wf-'));
    try {
      const f = join(tmp, 'bad.yml');
      writeFileSync(f, 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n');
      const { code, out } = await run(f);
      expect(code).not.toBe(0);
      expect(out).toContain('stepz');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('metric names in alerts and the dashboard', () => {
  const metricNames = (text: string) => new Set(text.match(/\bmlops_[a-z0-9_]+\b/g) ?? []);

  const alerts = parse(readFileSync(join(deploy, 'prometheus/alerts.yml'), 'utf8')) as {
    groups: { name: string; rules: { alert: string; expr: string }[] }[];
  };
  const dashboard = JSON.parse(readFileSync(join(deploy, 'grafana/dashboards/mlops-serving.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const exprs = [
    ...alerts.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel ${p.title}`, expr: t.expr }))),
  ];

  it('the alert rules cover latency, 5xx, dropped log records, readiness, drift, accuracy and retraining', () => {
    const names = alerts.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(
      expect.arrayContaining([
        'MlopsHighP99Latency',
        'MlopsHigh5xxRate',
        'MlopsPredictionLogDropped',
        'MlopsModelNotReady',
        'MlopsDatasetDrift',
        'MlopsFeedBroken',
        'MlopsMetricBelowThreshold',
        'MlopsRetrainingFailed',
      ]),
    );
    for (const { where, expr } of exprs) expect(metricNames(expr).size, where).toBeGreaterThan(0);
  });

  it('the model-quality rules compare with the threshold gauges in use, never with a number of their own', () => {
    const quality = alerts.groups.find((g) => g.name === 'mlops-model-quality')!.rules;
    const metric = quality.find((r) => r.alert === 'MlopsMetricBelowThreshold')!.expr;
    expect(metric).toMatch(
      /mlops_feedback_metric\b[\s\S]*<\s*on\s*\(model, version, metric\)[\s\S]*mlops_monitoring_metric_minimum/,
    );
    for (const r of quality) {
      if (/mlops_(feedback_metric|dataset_drift_share|drift_score)\b/.test(r.expr)) {
        expect(r.expr, r.alert).not.toMatch(/[<>]=?\s*\d/);
      }
    }
    expect(quality.find((r) => r.alert === 'MlopsFeedBroken')!.expr).toMatch(/mlops_feed_broken\b/);
    const estimated = quality.find((r) => r.alert === 'MlopsEstimatedMetricBelowThreshold')!.expr;
    expect(estimated).toMatch(
      /mlops_estimated_accuracy\b[\s\S]*mlops_estimated_macro_f1\b[\s\S]*<\s*on\s*\(model, version, metric\)[\s\S]*mlops_monitoring_estimated_minimum/,
    );
    expect(estimated, 'no number of its own').not.toMatch(/[<>]=?\s*\d/);
  });

  it('every metric they use appears in a real /metrics response', async () => {
    const predictor: Predictor = {
      signature: {
        inputs: [{ name: 'x', type: 'float64', shape: [] }],
        outputs: [{ name: 'y', type: 'float64', shape: [] }],
      },
      batchable: true,
      predict: async ({ x }) => ({ y: Float64Array.from(x as Float64Array, (v) => 2 * v) }),
    };
    const store = await createStore('memory://');
    const server = createModelServer({ models: [{ name: 'double', predictor }], store, host: '127.0.0.1' });
    const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
    try {
      const res = await fetch(`${listening.url}/v1/models/double/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [{ x: 1 }, { x: 2 }] }),
      });
      expect(res.status).toBe(200);
      const text = await (await fetch(`${listening.url}/metrics`)).text();
      const exported = new Set<string>();
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        const [, name, type] = m as unknown as [string, string, string];
        exported.add(name);
        if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s);
      }
      for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)) exported.add(m[1]!);
      const missing = exprs.flatMap(({ where, expr }) =>
        [...metricNames(expr)].filter((n) => !exported.has(n)).map((n) => `${where}: ${n}`),
      );
      expect(missing).toEqual([]);
      // the check has teeth: a made-up name is not exported
      expect(exported.has('mlops_made_up_total')).toBe(false);
    } finally {
      await listening.close();
      await store.close();
    }
  });
});

describe('the image', () => {
  const dockerfile = readFileSync(join(deploy, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('is multi-stage, non-root, health-checked on readiness, and prunes foreign onnxruntime binaries', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime).toMatch(/^node:20-bookworm-slim\b/);
    expect(stages[0]).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
    expect(stages[0]).toMatch(/npm ci/);
    expect(stages[0]).toMatch(/rm -rf "\$d\/darwin" "\$d\/win32"/);
    const user = runtime.match(/^USER (\S+)/m)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime).toMatch(/^HEALTHCHECK[\s\S]*\/v2\/health\/ready/m);
    expect(existsSync(join(root, '.dockerignore'))).toBe(true);
    expect(readFileSync(join(root, '.dockerignore'), 'utf8')).toMatch(/^\*\*\/node_modules$/m);
  });

  const cmd = JSON.parse(runtime.match(/^CMD (\[.*\])$/m)?.[1] ?? '[]') as string[];

  /** Runs the image's CMD from the repository root; resolves once it prints its URL. */
  async function startServer(env: Record<string, string>) {
    const child = spawn(process.execPath, cmd.slice(1), {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const url = await new Promise<string>((res, rej) => {
      child.stdout.on('data', (d) => {
        output += d;
        const m = output.match(/listening on (http:\/\/\S+)/);
        if (m) res(m[1]!);
      });
      void exited.then((code) => rej(new Error(`server exited early (${code}):\n${output}`)));
    });
    return {
      url,
      output: () => output,
      async stop() {
        child.kill('SIGTERM');
        return exited;
      },
      kill() {
        if (child.exitCode === null) child.kill('SIGKILL');
      },
    };
  }

  it('its start command serves health and metrics with no model registered, then exits 0 on SIGTERM', async () => {
    expect(cmd).toEqual(['node', 'deploy/server.mjs']);
    const objectsDir = mkdtempSync(join(tmpdir(), 'mlops-deploy-'));
    const server = await startServer({
      MLOPS_STORE: 'memory://',
      MLOPS_OBJECTS_DIR: objectsDir,
      MLOPS_MODEL: 'ticket-topic',
      MLOPS_RETENTION_MAX_AGE: '30d',
    });
    try {
      const live = await fetch(`${server.url}/v2/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ live: true });
      const ready = await fetch(`${server.url}/v2/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^mlops_model_ready\{model="ticket-topic"\} 0$/m);
      // MLOPS_RETENTION_MAX_AGE turns the prediction log's retention on (its counter is exported).
      expect(metrics).toContain('# TYPE mlops_prediction_log_pruned_total counter');
      expect(await server.stop()).toBe(0);
      expect(server.output()).toContain('SIGTERM: draining');
      // No model yet is a documented state, not a crash: one line with the reason, no stack trace.
      expect(server.output()).toContain(
        'ticket-topic@production not loadable yet (Model "ticket-topic" does not exist)',
      );
      expect(server.output()).not.toMatch(/^\s+at /m);
    } finally {
      server.kill();
      rmSync(objectsDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('its start command refuses a malformed MLOPS_OBJECTS at once (exit 2), naming the offending part', async () => {
    const child = spawn(process.execPath, cmd.slice(1), {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        MLOPS_MODEL: 'ticket-topic',
        MLOPS_STORE: 'memory://',
        MLOPS_OBJECTS: 's3://models/prod?endpont=http://127.0.0.1:9000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(2);
    expect(stderr).toContain('MLOPS_OBJECTS');
    expect(stderr).toContain('query.endpont');
  }, 60_000);

  it('its start command refuses a malformed retention or log-inputs setting at once (exit 2), naming the variable', async () => {
    for (const [name, value] of [
      ['MLOPS_RETENTION_MAX_AGE', 'a month'],
      ['MLOPS_RETENTION_MAX_ROWS', '-5'],
      ['MLOPS_LOG_INPUTS', 'hashed'],
    ] as const) {
      const child = spawn(process.execPath, cmd.slice(1), {
        cwd: root,
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          MLOPS_MODEL: 'ticket-topic',
          MLOPS_STORE: 'memory://',
          [name]: value,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
      expect(code, name).toBe(2);
      expect(stderr).toContain(name);
    }
  }, 60_000);

  it('its start command loads the model behind the alias from the store and predicts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-deploy-'));
    const storeUrl = `pglite://${join(dir, 'db')}`;
    const objectsDir = join(dir, 'objects');
    // Register a tiny linear text classifier as ticket-topic@production, then release the PGlite directory.
    const store = await createStore(storeUrl);
    try {
      const objects = fsObjectStore({ dir: objectsDir });
      const text = ['reset my password', 'password expired', 'printer jammed', 'broken laptop screen'];
      const topic = ['access', 'access', 'hardware', 'hardware'];
      const { fitted, output } = preprocessingPipeline([tfidfVectorizer()]).fitTransform({ text });
      const model = await linearTrainer({ C: 10 }).fit({ x: output as FeatureMatrix, y: topic }, {});
      const signature = {
        inputs: [{ name: 'text', type: 'string' as const, shape: [] }],
        outputs: linearOutputSignature(model),
      };
      const { digest } = await saveModelPackage({
        objects,
        flavor: linearFlavor(),
        model,
        signature,
        preprocessing: fitted,
        lineage: {},
      });
      const registry = await createRegistry({ store, objects, events: false });
      await registry.createModel({ name: 'ticket-topic' });
      await registry.createVersion({
        model: 'ticket-topic',
        packageDigest: digest,
        flavor: linearFlavor().name,
        signature,
      });
      await registry.setAlias({ model: 'ticket-topic', alias: 'production', version: 1 });
    } finally {
      await store.close();
    }
    const server = await startServer({
      MLOPS_STORE: storeUrl,
      MLOPS_OBJECTS_DIR: objectsDir,
      MLOPS_MODEL: 'ticket-topic',
    });
    try {
      let ready = await fetch(`${server.url}/v2/health/ready`);
      for (let i = 0; i < 100 && ready.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 200));
        ready = await fetch(`${server.url}/v2/health/ready`);
      }
      expect(await ready.json()).toEqual({ ready: true });
      const res = await fetch(`${server.url}/v1/models/ticket-topic/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [{ text: 'my password expired again' }, { text: 'the printer is jammed' }] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { version: string; predictions: { outputs: { label: string } }[] };
      expect(body.version).toBe('1');
      expect(body.predictions.map((p) => p.outputs.label)).toEqual(['access', 'hardware']);
      expect(await server.stop()).toBe(0);
    } finally {
      server.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
