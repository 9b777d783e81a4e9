import { type ProfileOptions, profileBuilder } from './builder.js';
import type { DataInput } from './input.js';
import type { Profile } from './schema.js';

export type { ProfileOptions } from './builder.js';

/**
 * Builds the versioned reference profile of a dataset held in memory (types, counts, reservoir samples, summaries,
 * and the mergeable sketches). Counts, quartiles and distinct values are exact, as in schema version 1; for data
 * that does not fit in memory use {@link createProfileBuilder} (batches) and {@link mergeProfiles} (partitions).
 */
export function createProfile(data: DataInput, options: ProfileOptions = {}): Profile {
  return profileBuilder(options, true).add(data).finish();
}
