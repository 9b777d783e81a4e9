// The HTTP side of the example: production runs replayed against the model server (the JSON predict API), with the
// true outcome of every run sent back as feedback, and small polling helpers for hot-swaps.
import type { Frame } from '@mlops/core';

/** One prediction of the server's JSON predict API. */
export interface ServedPrediction {
  id: string;
  outputs: { probabilities: number[]; label?: unknown };
}

/** The response of `POST /v1/models/{name}/predict`. */
export interface PredictResponse {
  requestId: string;
  model: string;
  version: string;
  predictions: ServedPrediction[];
}

/** What one replayed stream gave: P(fail) per run, the versions that answered, request and feedback counts. */
export interface ReplayResult {
  /** Prediction ids, one per run. */
  ids: string[];
  scores: number[];
  versions: string[];
  requests: number;
  feedback: number;
}

/** Options of {@link replayRuns}. */
export interface ReplayOptions {
  /** Runs per predict request (590 optional sensors each: ~6 KB per run). @default 40 */
  batchSize?: number;
  /** Column of `probabilities` holding P(fail). @default 1 */
  failColumn?: number;
}

/** POSTs JSON and returns the parsed answer; a non-2xx status throws with the server's error body. */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
  return (await res.json()) as T;
}

/** Instances of the JSON predict API from a frame: one object per run, missing readings as `null`. */
export function instancesOf(frame: Frame, inputs: readonly string[], from = 0, to?: number): Record<string, unknown>[] {
  const first = frame[inputs[0]!] as ArrayLike<number | null>;
  const end = Math.min(to ?? first.length, first.length);
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < end; i++) {
    const row: Record<string, unknown> = {};
    for (const name of inputs) {
      const v = (frame[name] as ArrayLike<number | null>)[i];
      row[name] = v === null || v === undefined || Number.isNaN(v) ? null : v;
    }
    out.push(row);
  }
  return out;
}

/**
 * Sends the runs of `frame` to the server in time order, in batches, then the true outcome of each run
 * (`truth[i]`, 1 = fail, -1 = pass) as feedback on its prediction id, as a fab's test station would.
 */
export async function replayRuns(
  url: string,
  model: string,
  frame: Frame,
  inputs: readonly string[],
  truth: readonly number[],
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const batch = options.batchSize ?? 40;
  const j = options.failColumn ?? 1;
  const scores: number[] = [];
  const ids: string[] = [];
  const versions = new Set<string>();
  let requests = 0;
  let feedback = 0;
  for (let i = 0; i < truth.length; i += batch) {
    const res = await postJson<PredictResponse>(`${url}/v1/models/${model}/predict`, {
      instances: instancesOf(frame, inputs, i, i + batch),
    });
    requests++;
    versions.add(res.version);
    scores.push(...res.predictions.map((p) => Number(p.outputs.probabilities[j])));
    ids.push(...res.predictions.map((p) => p.id));
    await Promise.all(
      res.predictions.map((p, k) => postJson(`${url}/v1/feedback`, { predictionId: p.id, label: truth[i + k] })),
    );
    feedback += res.predictions.length;
  }
  return { ids, scores, versions: [...versions], requests, feedback };
}

/** The version the server answers with right now (one run sent). */
export async function servedVersion(
  url: string,
  model: string,
  frame: Frame,
  inputs: readonly string[],
): Promise<string> {
  const res = await postJson<PredictResponse>(`${url}/v1/models/${model}/predict`, {
    instances: instancesOf(frame, inputs, 0, 1),
  });
  return res.version;
}

/** Polls `check` until it is true (every 200 ms, up to `timeoutMs`). */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
