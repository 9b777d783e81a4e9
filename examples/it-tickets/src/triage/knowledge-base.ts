// The knowledge base of the triage service: markdown articles with YAML front matter, validated with zod and indexed
// for full-text retrieval.
//
// Retrieval uses MiniSearch (https://github.com/lucaong/minisearch, MIT, no dependencies, typed, maintained since
// 2017): an in-memory inverted index scored with BM25+, with per-field boosts (title and tags weigh more than the
// body), prefix matching ("upgrad" finds "upgrading") and a stop-word hook. Articles of the predicted topic are then
// ranked first (an unbounded topic boost: the topic model routes the ticket). Querying a few dozen articles takes
// about a millisecond, so the latency budget goes to the models. wink-bm25-text-search was the alternative: plain
// BM25, but its own text-preprocessing pipeline to assemble and no stored fields to filter on.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MlopsError } from '@mlops/core';
import MiniSearch from 'minisearch';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Schema of an article's YAML front matter. */
export const articleFrontMatterSchema = z.strictObject({
  /** Stable id cited in replies, e.g. `KB-HW-001`. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_", "-" (at most 64)'),
  title: z.string().trim().min(1).max(200),
  /** One of the topic model's classes (`Topic_group`). */
  topic: z.string().trim().min(1).max(100),
  tags: z.array(z.string().trim().min(1).max(60)).max(30).default([]),
  /** Date of the last review (`YYYY-MM-DD`). */
  updated: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), z.iso.date()),
});

/** An article's front matter. */
export type ArticleFrontMatter = z.infer<typeof articleFrontMatterSchema>;

/** A knowledge-base article: front matter, markdown body and where it came from. */
export interface Article extends ArticleFrontMatter {
  /** The markdown after the front matter. */
  body: string;
  /** Path shown to clients: `<pathPrefix>/<file name>`, e.g. `kb/hardware-laptop-not-working.md`. */
  path: string;
  /** The first three numbered steps of the body as plain text, for template replies. */
  steps: string[];
}

/** One search hit. */
export interface ArticleHit {
  article: Article;
  /** BM25+ score (0 for an article of the predicted topic added although the words did not match it). */
  score: number;
}

/** Options of {@link KnowledgeBase.search}. */
export interface SearchOptions {
  /**
   * The predicted topic: its matching articles come first, and at least one of its articles is returned.
   * @default undefined (ranked by the words only)
   */
  topic?: string;
  /**
   * Most hits returned.
   * @default 3
   */
  limit?: number;
}

/** Loaded, validated and indexed articles. */
export interface KnowledgeBase {
  /** Every article, in file-name order. */
  readonly articles: readonly Article[];
  /** The article with this id, or undefined. */
  get(id: string): Article | undefined;
  /** Full-text search (BM25+) over title, tags and body; articles of `options.topic` first. */
  search(text: string, options?: SearchOptions): ArticleHit[];
}

/** Options of {@link loadKnowledgeBase}. */
export interface KnowledgeBaseOptions {
  /** Folder of `*.md` articles. */
  dir: string;
  /**
   * Topics every article must belong to; each needs at least `minPerTopic` articles.
   * @default undefined (any topic)
   */
  topics?: readonly string[];
  /**
   * Fewest articles per topic of `topics`.
   * @default 1
   */
  minPerTopic?: number;
  /**
   * Prefix of each article's `path`.
   * @default the folder's name (`kb`)
   */
  pathPrefix?: string;
}

const FRONT_MATTER_RE = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

// Words that carry no meaning for retrieval. The ticket texts of the dataset already had stop-words removed; the
// articles did not, so the same words are dropped on both sides.
const STOP_WORDS = new Set(
  'a an and are as at be been but by can do does for from has have he her his i if in into is it its me my no not of on or our please she so than that the their them then there these they this to too up us was we were what when which who will with would you your hi hello thanks thank regards dear'.split(
    ' ',
  ),
);

const processTerm = (term: string): string | null => {
  const t = term.toLowerCase();
  return t.length < 2 || STOP_WORDS.has(t) ? null : t;
};

/** Most distinct query words searched: a 20,000-character ticket would otherwise cost ~20 ms per search. */
const MAX_QUERY_TERMS = 48;

/**
 * The query's distinct meaningful words in order of first appearance (at most {@link MAX_QUERY_TERMS}), each with
 * its number of occurrences, which weighs it as repeating it in the query would.
 */
function boundedQuery(text: string): { query: string; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  for (const raw of text.slice(0, 4000).split(/[\n\r\p{Z}\p{P}]+/u)) {
    const t = processTerm(raw);
    if (!t) continue;
    if (counts.has(t)) counts.set(t, counts.get(t)! + 1);
    else if (counts.size < MAX_QUERY_TERMS) counts.set(t, 1);
  }
  return { query: [...counts.keys()].join(' '), counts };
}

/** A markdown list item as one plain line: continuation lines joined, emphasis and code marks removed. */
function plainText(md: string): string {
  return md
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/\*(.+?)\*/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .trim();
}

function invalidArticle(file: string, message: string, details: { path: string; message: string }[] = []) {
  return new MlopsError('INVALID_INPUT', {
    message: `knowledge-base article ${file}: ${message}`,
    details: details.length > 0 ? details : [{ path: file, message }],
  });
}

/** Parses one article file's text (front matter + markdown); throws `INVALID_INPUT` naming the file and fields. */
export function parseArticle(text: string, file: string, pathPrefix = 'kb'): Article {
  const m = FRONT_MATTER_RE.exec(text);
  if (!m) throw invalidArticle(file, 'expected YAML front matter between "---" lines at the top');
  let raw: unknown;
  try {
    raw = parseYaml(m[1]!);
  } catch (err) {
    throw invalidArticle(file, `invalid YAML front matter: ${(err as Error).message}`);
  }
  const r = articleFrontMatterSchema.safeParse(raw ?? {});
  if (!r.success) {
    const details = r.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(front matter)',
      message: i.message,
    }));
    throw invalidArticle(file, details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
  }
  const body = text.slice(m[0].length).trim();
  if (body.length === 0) throw invalidArticle(file, 'the article has no body');
  const steps = [...body.matchAll(/^[ \t]*\d+\.[ \t]+(.+(?:\r?\n[ \t]+\S.*)*)/gm)]
    .slice(0, 3)
    .map((s) => plainText(s[1]!));
  return { ...r.data, body, path: `${pathPrefix}/${basename(file)}`, steps };
}

/** Builds a knowledge base from articles already parsed (see {@link parseArticle}). */
export function createKnowledgeBase(articles: readonly Article[]): KnowledgeBase {
  const byId = new Map<string, Article>();
  for (const a of articles) {
    if (byId.has(a.id)) throw invalidArticle(a.path, `duplicate id "${a.id}" (also in ${byId.get(a.id)!.path})`);
    byId.set(a.id, a);
  }
  const index = new MiniSearch<{ id: string; title: string; tags: string; body: string; topic: string }>({
    fields: ['title', 'tags', 'body'],
    storeFields: ['topic'],
    processTerm,
    searchOptions: {
      boost: { title: 2, tags: 2 },
      prefix: (term: string) => term.length >= 4,
      weights: { fuzzy: 0.3, prefix: 0.5 },
    },
  });
  index.addAll(
    articles.map((a) => ({ id: a.id, title: a.title, tags: a.tags.join(' '), body: a.body, topic: a.topic })),
  );
  return {
    articles,
    get: (id) => byId.get(id),
    search(text, options = {}) {
      const limit = options.limit ?? 3;
      const topic = options.topic;
      if (limit <= 0) return [];
      const { query, counts } = boundedQuery(text);
      const found = index
        .search(query, { boostTerm: (term) => counts.get(term) ?? 1 })
        .map((h) => ({ article: byId.get(String(h.id))!, score: h.score }));
      if (topic === undefined) return found.slice(0, limit);
      // The predicted topic routes the ticket, so its matching articles come first (by score); the other places go
      // to the best matches of other topics, which helps when the topic model is wrong.
      const own = found.filter((h) => h.article.topic === topic);
      const hits = [...own, ...found.filter((h) => h.article.topic !== topic)].slice(0, limit);
      // When the words match none of the topic's articles, its first article takes the last place (score 0), so the
      // reply never lacks an article of the topic the ticket is routed to.
      if (own.length === 0) {
        const first = articles.find((a) => a.topic === topic);
        if (first) {
          if (hits.length >= limit) hits.pop();
          hits.push({ article: first, score: 0 });
        }
      }
      return hits;
    },
  };
}

/** Loads every `*.md` article of `dir`, validates it (zod) and indexes it; throws `INVALID_INPUT` naming the file. */
export function loadKnowledgeBase(options: KnowledgeBaseOptions): KnowledgeBase {
  const { dir } = options;
  const prefix = options.pathPrefix ?? basename(dir);
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .sort();
  } catch (err) {
    throw new MlopsError('NOT_FOUND', { message: `knowledge-base folder ${dir} cannot be read`, cause: err });
  }
  const articles = files.map((f) => parseArticle(readFileSync(join(dir, f), 'utf8'), f, prefix));
  if (options.topics) {
    const known = new Set(options.topics);
    for (const a of articles) {
      if (!known.has(a.topic)) {
        throw invalidArticle(a.path, `unknown topic "${a.topic}" (expected one of ${[...known].join(', ')})`, [
          { path: 'topic', message: `Expected one of ${[...known].join(', ')}` },
        ]);
      }
    }
    const min = options.minPerTopic ?? 1;
    const short = options.topics.filter((t) => articles.filter((a) => a.topic === t).length < min);
    if (short.length > 0) {
      throw new MlopsError('INVALID_INPUT', {
        message: `knowledge base ${dir}: fewer than ${min} article(s) for ${short.join(', ')}`,
        details: short.map((t) => ({ path: 'topic', message: `${t}: fewer than ${min} article(s)` })),
      });
    }
  }
  return createKnowledgeBase(articles);
}
