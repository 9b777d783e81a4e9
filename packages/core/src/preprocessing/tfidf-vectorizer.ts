import { z } from 'zod';
import { resolveTextColumn, rowsToCsr, type TokenizeOptions, textAnalyzer, textColumn } from './tokenizer.js';
import {
  absoluteCount,
  type CsrMatrix,
  compareCodePoints,
  type FittedTransformer,
  type Frame,
  invalid,
  parseState,
  type Transformer,
} from './types.js';

const KIND = 'mlops.core/tfidf-vectorizer';

/** Options of {@link tfidfVectorizer}; defaults are sklearn `TfidfVectorizer`'s. */
export interface TfidfVectorizerOptions extends TokenizeOptions {
  /** Text column to read. @default the frame's only column */
  column?: string;
  /** Ignore terms in fewer documents than this: a count when ≥ 1, a share of documents when < 1. @default 1 */
  minDf?: number;
  /** Ignore terms in more documents than this: a share of documents when ≤ 1, a count when > 1. @default 1 (100 %) */
  maxDf?: number;
  /** Keep only the terms most frequent over the corpus (ties broken alphabetically). @default undefined (all) */
  maxFeatures?: number;
  /** Use 1 instead of the term count. @default false */
  binary?: boolean;
  /** Multiply by the inverse document frequency. @default true */
  useIdf?: boolean;
  /** idf = ln((1 + n) / (1 + df)) + 1, as if one extra document held every term. @default true */
  smoothIdf?: boolean;
  /** Replace tf by 1 + ln(tf). @default false */
  sublinearTf?: boolean;
  /** Row normalisation. @default 'l2' */
  norm?: 'l1' | 'l2' | null;
}

const tfidfStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  column: z.string(),
  lowercase: z.boolean(),
  stopWords: z.union([z.literal('english'), z.array(z.string())]).optional(),
  ngramRange: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
  binary: z.boolean(),
  sublinearTf: z.boolean(),
  norm: z.enum(['l1', 'l2']).nullable(),
  /** Terms in column order (sorted by code point). */
  vocabulary: z.array(z.string()),
  /** idf per term, or null when `useIdf` is false. */
  idf: z.array(z.number()).nullable(),
});

/** JSON state of a fitted {@link tfidfVectorizer}. */
export type TfidfVectorizerState = z.infer<typeof tfidfStateSchema>;

/** A fitted {@link tfidfVectorizer}: text column → sparse TF-IDF rows. */
export interface FittedTfidfVectorizer extends FittedTransformer<Frame, CsrMatrix> {
  /** The learned terms, in column order. */
  readonly vocabulary: readonly string[];
  toJSON(): TfidfVectorizerState;
}

function fittedTfidf(state: TfidfVectorizerState): FittedTfidfVectorizer {
  if (state.idf !== null && state.idf.length !== state.vocabulary.length) {
    invalid('idf and vocabulary lengths differ', [{ path: 'idf', message: 'Expected one idf per term' }]);
  }
  const analyze = textAnalyzer({
    lowercase: state.lowercase,
    ngramRange: state.ngramRange,
    ...(state.stopWords === undefined ? {} : { stopWords: state.stopWords }),
  });
  const index = new Map<string, number>();
  state.vocabulary.forEach((t, i) => {
    index.set(t, i);
  });
  const idf = state.idf;
  return {
    kind: KIND,
    vocabulary: state.vocabulary,
    transform(data) {
      const docs = textColumn(data, state.column);
      const rows = docs.map((d) => {
        const counts = new Map<number, number>();
        for (const term of analyze(d)) {
          const j = index.get(term);
          if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
        }
        return counts;
      });
      const csr = rowsToCsr(
        rows,
        state.vocabulary.length,
        (j, c) => {
          const tf = state.binary ? 1 : state.sublinearTf ? Math.log(c) + 1 : c;
          return idf === null ? tf : tf * idf[j]!;
        },
        state.norm,
      );
      return { ...csr, columns: [...state.vocabulary] };
    },
    toJSON: () => structuredClone(state),
  };
}

/**
 * TF-IDF over word n-grams, matching sklearn `TfidfVectorizer` (same defaults: smooth idf, raw tf, l2 rows).
 * The vocabulary is learned at fit (sorted by code point, pruned by `minDf` / `maxDf` / `maxFeatures`); unseen terms
 * are ignored at transform. Output is a {@link CsrMatrix} whose `columns` are the terms.
 */
export function tfidfVectorizer(
  options: TfidfVectorizerOptions = {},
): Transformer<Frame, CsrMatrix, FittedTfidfVectorizer> {
  const analyze = textAnalyzer(options);
  return {
    kind: KIND,
    fit(data) {
      const column = resolveTextColumn(data, options.column);
      const docs = textColumn(data, column);
      const n = docs.length;
      const df = new Map<string, number>();
      const tf = new Map<string, number>();
      for (const d of docs) {
        const seen = new Set<string>();
        for (const term of analyze(d)) {
          tf.set(term, (tf.get(term) ?? 0) + 1);
          if (!seen.has(term)) {
            seen.add(term);
            df.set(term, (df.get(term) ?? 0) + 1);
          }
        }
      }
      const maxDf = options.maxDf ?? 1;
      const maxCount = maxDf <= 1 ? maxDf * n : maxDf;
      const minCount = absoluteCount(options.minDf ?? 1, n);
      if (maxCount < minCount) {
        invalid('maxDf corresponds to fewer documents than minDf', [{ path: 'maxDf', message: 'Below minDf' }]);
      }
      let terms = [...df.keys()].filter((t) => df.get(t)! <= maxCount && df.get(t)! >= minCount);
      if (options.maxFeatures !== undefined && terms.length > options.maxFeatures) {
        terms.sort((a, b) => tf.get(b)! - tf.get(a)! || compareCodePoints(a, b));
        terms = terms.slice(0, options.maxFeatures);
      }
      if (terms.length === 0) {
        invalid('empty vocabulary: no term is left after tokenising and pruning', [
          { path: column, message: 'No terms' },
        ]);
      }
      terms.sort(compareCodePoints);
      const useIdf = options.useIdf ?? true;
      const smooth = (options.smoothIdf ?? true) ? 1 : 0;
      const state: TfidfVectorizerState = {
        kind: KIND,
        schemaVersion: 1,
        column,
        lowercase: options.lowercase ?? true,
        ...(options.stopWords === undefined ? {} : { stopWords: options.stopWords }),
        ngramRange: options.ngramRange ?? [1, 1],
        binary: options.binary ?? false,
        sublinearTf: options.sublinearTf ?? false,
        norm: options.norm === undefined ? 'l2' : options.norm,
        vocabulary: terms,
        idf: useIdf ? terms.map((t) => Math.log((n + smooth) / (df.get(t)! + smooth)) + 1) : null,
      };
      return fittedTfidf(state);
    },
  };
}

/** Rebuilds a fitted {@link tfidfVectorizer} from its JSON state (validated). */
export function loadTfidfVectorizer(json: unknown): FittedTfidfVectorizer {
  return fittedTfidf(parseState(tfidfStateSchema, json));
}
