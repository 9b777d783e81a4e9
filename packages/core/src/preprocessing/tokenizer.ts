import { type Frame, frameRows, invalid, isMissing } from './types.js';

/** Options shared by the text vectorizers: how a document becomes terms. */
export interface TokenizeOptions {
  /** Lower-case the text first. @default true */
  lowercase?: boolean;
  /** Words removed before n-grams are built: `'english'` (sklearn's list) or your own list. @default undefined (none) */
  stopWords?: 'english' | string[];
  /** Smallest and largest n-gram length, e.g. `[1, 2]` for words and word pairs. @default [1, 1] */
  ngramRange?: [number, number];
}

/** sklearn's `ENGLISH_STOP_WORDS` (318 words). */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above across after afterwards again against all almost alone along already also although always am ' +
    'among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back be ' +
    'became because become becomes becoming been before beforehand behind being below beside besides between beyond ' +
    'bill both bottom but by call can cannot cant co con could couldnt cry de describe detail do done down due during ' +
    'each eg eight either eleven else elsewhere empty enough etc even ever every everyone everything everywhere except ' +
    'few fifteen fifty fill find fire first five for former formerly forty found four from front full further get give ' +
    'go had has hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his how however ' +
    'hundred i ie if in inc indeed interest into is it its itself keep last latter latterly least less ltd made many ' +
    'may me meanwhile might mill mine more moreover most mostly move much must my myself name namely neither never ' +
    'nevertheless next nine no nobody none noone nor not nothing now nowhere of off often on once one only onto or ' +
    'other others otherwise our ours ourselves out over own part per perhaps please put rather re same see seem seemed ' +
    'seeming seems serious several she should show side since sincere six sixty so some somehow someone something ' +
    'sometime sometimes somewhere still such system take ten than that the their them themselves then thence there ' +
    'thereafter thereby therefore therein thereupon these they thick thin third this those though three through ' +
    'throughout thru thus to together too top toward towards twelve twenty two un under until up upon us very via was ' +
    'we well were what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever ' +
    'whether which while whither who whoever whole whom whose why will with within without would yet you your yours ' +
    'yourself yourselves'
  ).split(' '),
);

// Python's `\w` in a str pattern: letters, digits/numerics and underscore. JS `\b` is ASCII-only even with /u, so
// sklearn's `(?u)\b\w\w+\b` becomes "maximal runs of word characters, at least two code points long".
const WORD_RUN = /[\p{L}\p{N}_]+/gu;

function isLongEnough(run: string): boolean {
  if (run.length >= 3) return true;
  if (run.length < 2) return false;
  const c = run.charCodeAt(0);
  return c < 0xd800 || c > 0xdbff; // two UTF-16 units that are not one surrogate pair
}

/** Resolves a {@link TokenizeOptions} stop-word setting to a set (or undefined for none). */
export function stopWordSet(stopWords: TokenizeOptions['stopWords']): ReadonlySet<string> | undefined {
  if (stopWords === undefined) return undefined;
  return stopWords === 'english' ? ENGLISH_STOP_WORDS : new Set(stopWords);
}

/** Builds a reusable analyzer: text → terms, exactly as sklearn's word analyzer with the same settings. */
export function textAnalyzer(options: TokenizeOptions = {}): (text: string) => string[] {
  const lowercase = options.lowercase ?? true;
  const stop = stopWordSet(options.stopWords);
  const [minN, maxN] = options.ngramRange ?? [1, 1];
  if (!(Number.isInteger(minN) && Number.isInteger(maxN) && minN >= 1 && maxN >= minN)) {
    invalid('ngramRange must be [min, max] integers with 1 ≤ min ≤ max', [
      { path: 'ngramRange', message: 'Expected 1 ≤ min ≤ max' },
    ]);
  }
  return (text) => {
    const t = lowercase ? text.toLowerCase() : text;
    let tokens: string[] = [];
    for (const m of t.matchAll(WORD_RUN)) if (isLongEnough(m[0])) tokens.push(m[0]);
    if (stop) tokens = tokens.filter((w) => !stop.has(w));
    if (maxN === 1 && minN === 1) return tokens;
    const out: string[] = minN === 1 ? [...tokens] : [];
    for (let n = Math.max(minN, 2); n <= Math.min(maxN, tokens.length); n++) {
      for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
    }
    return out;
  };
}

/**
 * Splits text into terms as sklearn's default word analyzer: lower-case, words of two or more Unicode letters/digits
 * (`(?u)\b\w\w+\b`), stop words removed, then n-grams joined by a space.
 */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  return textAnalyzer(options)(text);
}

/** The text column a vectorizer reads: `column` if given, else the frame's only column. */
export function resolveTextColumn(data: Frame, column: string | undefined): string {
  frameRows(data);
  if (column !== undefined) return column;
  const names = Object.keys(data);
  if (names.length !== 1) {
    invalid('the frame has several columns: pass the text column as `column`', [
      { path: 'column', message: 'Required when the frame has several columns' },
    ]);
  }
  return names[0]!;
}

/** The documents of a text column; missing values are empty documents, anything but a string is refused. */
export function textColumn(data: Frame, column: string): string[] {
  const col = data[column];
  if (!Array.isArray(col))
    invalid(`missing column "${column}"`, [{ path: column, message: 'Required column is missing' }]);
  return col.map((v, i) => {
    if (isMissing(v)) return '';
    if (typeof v !== 'string') {
      invalid(`column "${column}" row ${i} is not text`, [{ path: `${column}.${i}`, message: 'Expected a string' }]);
    }
    return v;
  });
}

/** Builds CSR arrays from per-row maps of column → value: indices sorted, zeros dropped, optional row norm. */
export function rowsToCsr(
  rows: Map<number, number>[],
  nCols: number,
  transformValue: (col: number, v: number) => number,
  norm: 'l1' | 'l2' | null,
): { nRows: number; nCols: number; indptr: Int32Array; indices: Int32Array; values: Float64Array } {
  let nnz = 0;
  for (const r of rows) nnz += r.size;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  rows.forEach((r, i) => {
    const start = p;
    const cols = [...r.keys()].sort((a, b) => a - b);
    for (const c of cols) {
      const v = transformValue(c, r.get(c)!);
      if (v === 0) continue;
      indices[p] = c;
      values[p] = v;
      p++;
    }
    if (norm !== null) {
      let s = 0;
      for (let j = start; j < p; j++) s += norm === 'l2' ? values[j]! * values[j]! : Math.abs(values[j]!);
      if (norm === 'l2') s = Math.sqrt(s);
      if (s > 0) for (let j = start; j < p; j++) values[j] = values[j]! / s;
    }
    indptr[i + 1] = p;
  });
  return { nRows: rows.length, nCols, indptr, indices: indices.slice(0, p), values: values.slice(0, p) };
}
