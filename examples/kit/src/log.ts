// Console output of the example: readable lines on a terminal, one JSON object per line otherwise (CI, log
// collectors), as every long job of mlops-ts does.
const tty = Boolean(process.stdout.isTTY);
const started = Date.now();

/** Logs one step of the run: `stage` is the lifecycle step, `fields` structured details. */
export function log(stage: string, message: string, fields: Record<string, unknown> = {}): void {
  if (tty) {
    const secs = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : String(v)}`)
      .join(' ');
    process.stdout.write(`${secs}s  ${stage.padEnd(10)} ${message}${extra ? `  (${extra})` : ''}\n`);
  } else {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), stage, message, ...fields })}\n`);
  }
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}
