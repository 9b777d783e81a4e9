import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, 'check-json-lines.mjs');
const check = (input: string) =>
  spawnSync(process.execPath, [SCRIPT, 'the run'], { input, encoding: 'utf8', timeout: 30_000 });

describe('scripts/check-json-lines.mjs', () => {
  it('passes JSON lines through and exits 0', () => {
    const input = '{"time":"t","level":"info","msg":"a"}\n\n{"msg":"b"}\n';
    const r = check(input);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(input);
    expect(r.stderr).toMatch(/all 2 lines of the run are JSON objects/);
  });

  it('fails on a human line among JSON lines (the stray alert line of issue 25) and names it', () => {
    const r = check(
      '{"msg":"a"}\n[mlops] 2026-12-06T07:31:09.048Z INFO Retrained ticket-topic\nv1 → v2 {model=ticket-topic}\n42\n',
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/3 of 4 lines of the run are not JSON objects/);
    expect(r.stderr).toMatch(/line 2: \[mlops\] 2026/);
    expect(r.stderr).toMatch(/line 4: 42/);
  });

  it('fails on no output at all', () => {
    expect(check('').status).toBe(1);
  });
});
