import { afterEach, describe, expect, it, vi } from 'vitest';
import { MlopsError } from '../errors.js';
import { loadTestData, TEST_REQUIRE_DATA_ENV } from './data.js';

const missing = () =>
  Promise.reject(new MlopsError('NOT_FOUND', 'tickets.csv not found and downloads are off\nLooked in: …'));

describe('loadTestData', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('returns what the loader loaded', async () => {
    expect(await loadTestData('tickets', async () => [1, 2])).toEqual([1, 2]);
  });

  it('returns undefined for missing data and says which data and why', async () => {
    vi.stubEnv(TEST_REQUIRE_DATA_ENV, '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await loadTestData('IT tickets', missing)).toBeUndefined();
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]![0])).toMatch(/IT tickets not found.*\[real-data\].*downloads are off/);
  });

  it('fails on missing data under MLOPS_TEST_REQUIRE_DATA=1', async () => {
    vi.stubEnv(TEST_REQUIRE_DATA_ENV, '1');
    await expect(loadTestData('IT tickets', missing)).rejects.toThrow(/IT tickets is missing.*MLOPS_TEST_REQUIRE_DATA/);
  });

  it('rethrows any other failure (a checksum mismatch is not missing data)', async () => {
    const bad = new MlopsError('CHECKSUM_MISMATCH', 'edited file');
    await expect(loadTestData('IT tickets', () => Promise.reject(bad))).rejects.toBe(bad);
  });
});
