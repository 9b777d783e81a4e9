// Live traffic for the example: tickets sent to the running server over HTTP, with the true label sent back as
// feedback, as a help desk would once an agent has handled the ticket.

/** The v1 predict response the example reads. */
export interface PredictResponse {
  requestId: string;
  version: string;
  predictions: { id: string; outputs: { label: string; probabilities?: number[] } }[];
}

/** POSTs JSON and returns the parsed response; a non-2xx answer is an error with the body in the message. */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Sends texts to `model` in batches of 50, then the true label of each as feedback. Returns the served labels and
 * class probabilities (what the prediction log holds, before any label arrives) and the realized accuracy.
 */
export async function replay(
  url: string,
  model: string,
  texts: readonly string[],
  truth: readonly string[],
): Promise<{ n: number; requests: number; accuracy: number; labels: string[]; probabilities: number[][] }> {
  const labels: string[] = [];
  const probabilities: number[][] = [];
  let requests = 0;
  for (let i = 0; i < texts.length; i += 50) {
    const batch = texts.slice(i, i + 50);
    const res = await postJson<PredictResponse>(`${url}/v1/models/${model}/predict`, {
      instances: batch.map((text) => ({ text })),
    });
    requests++;
    await Promise.all(
      res.predictions.map((p, k) => postJson(`${url}/v1/feedback`, { predictionId: p.id, label: truth[i + k] })),
    );
    labels.push(...res.predictions.map((p) => String(p.outputs.label)));
    probabilities.push(...res.predictions.map((p) => p.outputs.probabilities ?? []));
  }
  const correct = labels.filter((l, k) => l === truth[k]).length;
  return { n: labels.length, requests, accuracy: correct / Math.max(1, labels.length), labels, probabilities };
}

/** One prediction of a fixed ticket: tells which version the server answers with. */
export async function predictOnce(url: string, model: string): Promise<PredictResponse> {
  return postJson<PredictResponse>(`${url}/v1/models/${model}/predict`, {
    instances: [{ text: 'my laptop screen is broken' }],
  });
}

/** Polls `check` until it is true (every 200 ms, up to 60 s). */
export async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
