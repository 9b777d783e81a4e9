// The HTTP side of the example: production runs replayed against the model server (Open Inference Protocol v2,
// missing readings as `null`), with the true outcome of every run sent back as feedback, and small polling helpers
// for hot-swaps.
import type { Frame } from '@mlops/core/preprocessing';

/** One tensor of a v2 inference response. */
export interface InferTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

/** The response of `POST /v2/models/{name}/infer`. */
export interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  /** `request_id` and the comma-separated `prediction_ids` (one per run, in order) of the prediction log. */
  parameters: { request_id: string; prediction_ids: string };
  outputs: InferTensor[];
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
  /** Runs per inference request (one FP64 tensor per sensor, ~6 KB per run). @default 40 */
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

/**
 * v2 input tensors from a frame: one FP64 tensor of shape `[runs]` per sensor, a missing reading as `null` (the
 * server takes it for the signature's optional inputs and decodes it to `NaN`, as the JSON predict API does).
 */
export function tensorsOf(frame: Frame, inputs: readonly string[], from = 0, to?: number): InferTensor[] {
  const first = frame[inputs[0]!] as ArrayLike<number | null>;
  const end = Math.min(to ?? first.length, first.length);
  return inputs.map((name) => {
    const col = frame[name] as ArrayLike<number | null>;
    const data: (number | null)[] = [];
    for (let i = from; i < end; i++) {
      const v = col[i];
      data.push(v === null || v === undefined || Number.isNaN(v) ? null : v);
    }
    return { name, shape: [data.length], datatype: 'FP64', data };
  });
}

/** The server's inference of runs `from`..`to` of `frame`, P(fail) only. */
function infer(url: string, model: string, frame: Frame, inputs: readonly string[], from: number, to: number) {
  return postJson<InferResponse>(`${url}/v2/models/${model}/infer`, {
    inputs: tensorsOf(frame, inputs, from, to),
    outputs: [{ name: 'probabilities' }],
  });
}

/**
 * Sends the runs of `frame` to the server's v2 `infer` in time order, in batches, then the true outcome of each run
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
    const res = await infer(url, model, frame, inputs, i, Math.min(i + batch, truth.length));
    requests++;
    versions.add(res.model_version);
    const probs = res.outputs.find((o) => o.name === 'probabilities');
    if (!probs) throw new Error(`${model}: no probabilities tensor in the inference response`);
    const width = probs.shape.slice(1).reduce((a, b) => a * b, 1);
    const runIds = res.parameters.prediction_ids.split(',');
    for (let k = 0; k < runIds.length; k++) scores.push(Number(probs.data[k * width + j]));
    ids.push(...runIds);
    await Promise.all(runIds.map((id, k) => postJson(`${url}/v1/feedback`, { predictionId: id, label: truth[i + k] })));
    feedback += runIds.length;
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
  return (await infer(url, model, frame, inputs, 0, 1)).model_version;
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
