import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MlopsError } from '../errors.js';
import {
  type DatasetPointer,
  formatPointer,
  parsePointer,
  pointerPathFor,
  readPointer,
  writePointer,
} from './pointer.js';

const hex = 'ab'.repeat(32);
const valid: DatasetPointer = {
  kind: 'mlops.dataset-pointer',
  schemaVersion: 1,
  name: 'tickets',
  path: 'tickets.csv',
  type: 'file',
  version: hex,
  digest: `sha256:${hex}`,
  size: 42,
  createdAt: '2026-01-02T03:04:05.678Z',
};
const dir = mkdtempSync(join(tmpdir(), 'mlops-pointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function invalid(value: unknown): MlopsError {
  try {
    parsePointer(value);
  } catch (err) {
    expect(err).toBeInstanceOf(MlopsError);
    expect((err as MlopsError).code).toBe('INVALID_INPUT');
    return err as MlopsError;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('pointer files', () => {
  it('round-trips through writePointer/readPointer with a stable key order', async () => {
    const file = join(dir, 'tickets.mlops.json');
    await writePointer(file, valid);
    expect(await readPointer(file)).toEqual(valid);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(formatPointer({ ...valid }));
    expect(Object.keys(JSON.parse(text))).toEqual([
      'kind',
      'schemaVersion',
      'name',
      'path',
      'type',
      'version',
      'digest',
      'size',
      'createdAt',
    ]);
    expect(text.endsWith('\n')).toBe(true);
  });

  it.each([
    ['a wrong kind', { kind: 'dvc' }, 'kind'],
    ['a future schema version', { schemaVersion: 2 }, 'schemaVersion'],
    ['a short version', { version: 'abc', digest: 'sha256:abc' }, 'version'],
    ['a digest that disagrees with the version', { digest: `sha256:${'cd'.repeat(32)}` }, 'digest'],
    ['a negative size', { size: -1 }, 'size'],
    ['a size as a string', { size: '42' }, 'size'],
    ['a path leaving the folder', { path: '../etc/passwd' }, 'path'],
    ['a bad date', { createdAt: 'yesterday' }, 'createdAt'],
    ['files on a file', { files: 3 }, 'files'],
    ['a directory without files', { type: 'directory' }, 'files'],
    ['an unknown field', { digets: 'typo' }, 'digets'],
  ])('rejects %s with INVALID_INPUT naming the field', (_label, patch, field) => {
    const err = invalid({ ...valid, ...patch });
    const details = err.details as { path: string; message: string }[];
    expect(details.some((d) => d.path === field)).toBe(true);
    expect(err.message).toContain('invalid pointer file');
  });

  it('rejects a missing field', () => {
    const { digest: _d, ...rest } = valid;
    const err = invalid(rest);
    expect((err.details as { path: string }[]).map((d) => d.path)).toContain('digest');
  });

  it('rejects a file that is not JSON, and reports a missing file as NOT_FOUND', async () => {
    const file = join(dir, 'broken.mlops.json');
    writeFileSync(file, '{ "kind": "mlops.dataset-pointer", ');
    await expect(readPointer(file)).rejects.toMatchObject({ code: 'INVALID_INPUT', details: [{ path: '' }] });
    await expect(readPointer(join(dir, 'nope.mlops.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a folder given as the pointer is INVALID_INPUT naming its pointer file; a path through a file is NOT_FOUND', async () => {
    // The usual slip: the data folder instead of its pointer file.
    const data = join(dir, 'corpus');
    mkdirSync(data, { recursive: true });
    const err = await readPointer(data).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'pointer' }] });
    expect((err as MlopsError).message).toContain('corpus.mlops.json');
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    await expect(readPointer(join(file, 'x.mlops.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('puts the pointer beside the data', () => {
    expect(pointerPathFor('/data/tickets.csv')).toBe('/data/tickets.csv.mlops.json');
    expect(pointerPathFor('/data/tickets.csv', 'tickets')).toBe('/data/tickets.mlops.json');
  });
});
