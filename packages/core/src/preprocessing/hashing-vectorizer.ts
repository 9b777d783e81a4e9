import { z } from 'zod';
import { murmurhash3_32 } from './murmurhash3.js';
import { resolveTextColumn, rowsToCsr, type TokenizeOptions, textAnalyzer, textColumn } from './tokenizer.js';
import { type CsrMatrix, type FittedTransformer, type Frame, invalid, parseState, type Transformer } from './types.js';

const KIND = 'mlops.core/hashing-vectorizer';

/** Options of {@link hashingVectorizer}; defaults are sklearn `HashingVectorizer`'s. */
export interface HashingVectorizerOptions extends TokenizeOptions {
  /** Text column to read. @default the frame's only column */
  column?: string;
  /** Number of output columns. @default 1048576 (2^20) */
  nFeatures?: number;
  /** Give a term the sign of its hash, so collisions tend to cancel out. @default true */
  alternateSign?: boolean;
  /** Use 1 for every present feature instead of its (signed) count. @default false */
  binary?: boolean;
  /** Row normalisation. @default 'l2' */
  norm?: 'l1' | 'l2' | null;
}

const hashingStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  column: z.string(),
  lowercase: z.boolean(),
  stopWords: z.union([z.literal('english'), z.array(z.string())]).optional(),
  ngramRange: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
  nFeatures: z.number().int().min(1).max(2147483647),
  alternateSign: z.boolean(),
  binary: z.boolean(),
  norm: z.enum(['l1', 'l2']).nullable(),
});

/** JSON state of a fitted {@link hashingVectorizer}. */
export type HashingVectorizerState = z.infer<typeof hashingStateSchema>;

/** A fitted {@link hashingVectorizer}: text column → sparse hashed term counts. */
export interface FittedHashingVectorizer extends FittedTransformer<Frame, CsrMatrix> {
  toJSON(): HashingVectorizerState;
}

function fittedHashing(state: HashingVectorizerState): FittedHashingVectorizer {
  const analyze = textAnalyzer({
    lowercase: state.lowercase,
    ngramRange: state.ngramRange,
    ...(state.stopWords === undefined ? {} : { stopWords: state.stopWords }),
  });
  const nf = state.nFeatures;
  return {
    kind: KIND,
    transform(data) {
      const rows = textColumn(data, state.column).map((doc) => {
        const r = new Map<number, number>();
        for (const term of analyze(doc)) {
          const h = murmurhash3_32(term, 0);
          // abs(-2^31) overflows int32 in sklearn's C code; they define it as 2^31 % nFeatures, as here.
          const j = Math.abs(h) % nf;
          const v = state.alternateSign && h < 0 ? -1 : 1;
          r.set(j, (r.get(j) ?? 0) + v);
        }
        return r;
      });
      return rowsToCsr(rows, nf, (_, v) => (state.binary && v !== 0 ? 1 : v), state.norm);
    },
    toJSON: () => structuredClone(state),
  };
}

/**
 * Stateless term hashing, matching sklearn `HashingVectorizer`: each term goes to column
 * `|murmurhash3_32(term)| % nFeatures` with the hash's sign when `alternateSign`, rows l2-normalised. `fit` learns
 * nothing but the text column, so it stays serialisable like the other steps. Entries that cancel to 0 are not stored.
 */
export function hashingVectorizer(
  options: HashingVectorizerOptions = {},
): Transformer<Frame, CsrMatrix, FittedHashingVectorizer> {
  const nFeatures = options.nFeatures ?? 2 ** 20;
  if (!(Number.isInteger(nFeatures) && nFeatures >= 1 && nFeatures <= 2147483647)) {
    invalid('nFeatures must be an integer in 1..2^31-1', [{ path: 'nFeatures', message: 'Out of range' }]);
  }
  textAnalyzer(options); // validates the tokenizer options now, not at first fit
  return {
    kind: KIND,
    fit(data) {
      return fittedHashing({
        kind: KIND,
        schemaVersion: 1,
        column: resolveTextColumn(data, options.column),
        lowercase: options.lowercase ?? true,
        ...(options.stopWords === undefined ? {} : { stopWords: options.stopWords }),
        ngramRange: options.ngramRange ?? [1, 1],
        nFeatures,
        alternateSign: options.alternateSign ?? true,
        binary: options.binary ?? false,
        norm: options.norm === undefined ? 'l2' : options.norm,
      });
    },
  };
}

/** Rebuilds a fitted {@link hashingVectorizer} from its JSON state (validated). */
export function loadHashingVectorizer(json: unknown): FittedHashingVectorizer {
  return fittedHashing(parseState(hashingStateSchema, json));
}
