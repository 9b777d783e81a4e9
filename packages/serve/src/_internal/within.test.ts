import { expect, it } from 'vitest';
import { settlesWithin } from './within.js';

it('is true for work that fulfils in time, false for work that does not, and rejects as the work does', async () => {
  expect(await settlesWithin(Promise.resolve(1), 1_000)).toBe(true);
  expect(await settlesWithin(new Promise(() => {}), 10)).toBe(false);
  await expect(settlesWithin(Promise.reject(new Error('boom')), 1_000)).rejects.toThrow('boom');
});
