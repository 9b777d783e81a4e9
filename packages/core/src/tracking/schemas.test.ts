import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { parseInput } from '../validation.js';
import { artifactNameSchema, keySchema, paramText } from './schemas.js';

describe('paramText', () => {
  it.each([
    ['adam', 'adam'],
    [0.1, '0.1'],
    [1e-7, '1e-7'],
    [true, 'true'],
    [null, 'null'],
    [[1, 'a'], '[1,"a"]'],
    [{ a: { b: 1 } }, '{"a":{"b":1}}'],
  ])('%j is stored as %s', (value, text) => {
    expect(paramText(value)).toBe(text);
  });
});

describe('keys and names', () => {
  it.each(['lr', 'train/loss', 'val acc', 'a.b-c_d'])('accepts the key %s', (k) => {
    expect(keySchema.safeParse(k).success).toBe(true);
  });
  it.each(['', 'a;b', "a'b", 'x'.repeat(251), 'é'])('refuses the key %j', (k) => {
    expect(keySchema.safeParse(k).success).toBe(false);
  });
  it.each(['model.onnx', 'model/weights.bin'])('accepts the artifact name %s', (n) => {
    expect(artifactNameSchema.safeParse(n).success).toBe(true);
  });
  it.each(['/etc/passwd', '../x', 'a/./b', 'a//b', 'a\\b', ''])('refuses the artifact name %j', (n) => {
    expect(artifactNameSchema.safeParse(n).success).toBe(false);
  });
});

describe('parseInput', () => {
  it('turns zod issues into INVALID_INPUT with prefixed field paths', () => {
    try {
      parseInput(keySchema, 'bad;key', 'params');
      expect.unreachable();
    } catch (err) {
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
      expect((err as { details: { path: string }[] }).details[0]!.path).toBe('params');
    }
  });
});
