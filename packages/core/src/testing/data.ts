import { envFlag } from './stores.js';

/** The environment variable that makes missing real data an error instead of a skip (CI, which has the data). */
export const TEST_REQUIRE_DATA_ENV = 'MLOPS_TEST_REQUIRE_DATA';

/**
 * Loads real data for a test file that needs it (a dataset that is never committed). `load` must not download: call
 * the loaders with `offline: true`. When it fails with a `NOT_FOUND` code (the data is not on this machine), the
 * reason is printed and `undefined` returned, so the suite, named `… [real-data]`, is skipped and counted as such;
 * under `MLOPS_TEST_REQUIRE_DATA=1` the absence is an error instead. Any other failure (a checksum mismatch) throws.
 *
 * @example
 * const topics = await loadTestData('IT tickets', () => loadTicketTopics({ offline: true }));
 * describe.skipIf(!topics)('topic model [real-data]', () => { … });
 */
export async function loadTestData<T>(what: string, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== 'NOT_FOUND') throw err;
    const reason = String((err as Error).message)
      .replace(/\s*\n\s*/g, ' ')
      .slice(0, 600);
    if (envFlag(TEST_REQUIRE_DATA_ENV)) {
      throw new Error(`${what} is missing, but ${TEST_REQUIRE_DATA_ENV}=1 requires the real-data suites: ${reason}`, {
        cause: err,
      });
    }
    console.warn(`[mlops] ${what} not found: its [real-data] tests are skipped (${reason})`);
    return undefined;
  }
}
