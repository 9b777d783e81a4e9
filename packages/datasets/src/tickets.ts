import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { DatasetError } from './errors.js';
import { IT_TICKETS_TOPICS_FILE, IT_TICKETS_URGENCY_FILE } from './files.js';
import { type DatasetSource, type ResolveOptions, resolveDatasetFile } from './resolve.js';

/** The eight topic groups of the Kaggle "IT Service Ticket Classification" data. */
export const TICKET_TOPICS = [
  'Hardware',
  'HR Support',
  'Access',
  'Miscellaneous',
  'Storage',
  'Purchase',
  'Internal Project',
  'Administrative rights',
] as const;

/** One of {@link TICKET_TOPICS}. */
export type TicketTopic = (typeof TICKET_TOPICS)[number];

/** A ticket with its topic group (from `all_tickets_processed_improved_v3.csv`). */
export const ticketTopicRowSchema = z.object({
  /** Preprocessed ticket text (lower-case, stop-words removed). */
  text: z.string().min(1),
  /** Topic group label. */
  topic: z.enum(TICKET_TOPICS),
});

/** A row of {@link loadTicketTopics}. */
export type TicketTopicRow = z.infer<typeof ticketTopicRowSchema>;

/** An integer label code written as digits (an empty cell is an error, not 0). */
const codeField = (max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d+$/, 'expected an integer code').transform(Number).pipe(z.number().int().max(max));

/** A ticket with its integer-coded labels (from `all_tickets.csv`; class names were never published). */
export const ticketUrgencyRowSchema = z.object({
  /** Ticket title; empty in 107 rows. */
  title: z.string(),
  /** Ticket body; never empty. */
  body: z.string().min(1),
  /** 0 or 1. */
  ticketType: codeField(1),
  category: codeField(),
  subCategory1: codeField(),
  subCategory2: codeField(),
  businessService: codeField(),
  /** 0 to 3; varies only where `ticketType` is 0 (see the README). */
  urgency: codeField(3),
  /** 0 to 4; varies only where `ticketType` is 0. */
  impact: codeField(4),
});

/** A row of {@link loadTicketUrgency}. */
export type TicketUrgencyRow = z.infer<typeof ticketUrgencyRowSchema>;

/** Rows plus where they came from. */
export interface LoadedRows<T> {
  rows: T[];
  source: DatasetSource;
}

/** Options of the ticket loaders: where to look and how to download (see {@link ResolveOptions}). */
export type TicketLoadOptions = ResolveOptions;

function parseCsv(text: string, file: string, header: readonly string[]): string[][] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false });
  } catch (err) {
    throw new DatasetError('INVALID_INPUT', `${file} is not valid CSV: ${(err as Error).message}`, { cause: err });
  }
  const [head, ...rows] = records;
  if (!head || head.join(',') !== header.join(',')) {
    throw new DatasetError(
      'INVALID_INPUT',
      `${file} has header ${JSON.stringify(head)}; expected ${JSON.stringify(header)}`,
      {
        details: { file, header: head, expected: header },
      },
    );
  }
  return rows;
}

function validate<T>(schema: z.ZodType<T>, raw: unknown, file: string, line: number): T {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new DatasetError('INVALID_INPUT', `${file}, data row ${line}: ${issues}`, {
      details: { file, row: line, issues: r.error.issues },
    });
  }
  return r.data;
}

/**
 * Loads the 47,837 tickets with their topic group (Kaggle "IT Service Ticket Classification Dataset", CC0), sha256-verified.
 * @example const { rows, source } = await loadTicketTopics(); // rows[0] = { text: '…', topic: 'Hardware' }
 */
export async function loadTicketTopics(options: TicketLoadOptions = {}): Promise<LoadedRows<TicketTopicRow>> {
  const source = await resolveDatasetFile(IT_TICKETS_TOPICS_FILE, options);
  return { rows: parseTicketTopicsCsv(await readFile(source.path, 'utf8')), source };
}

/** Parses and validates the text of `all_tickets_processed_improved_v3.csv` (header `Document,Topic_group`). */
export function parseTicketTopicsCsv(text: string): TicketTopicRow[] {
  const file = IT_TICKETS_TOPICS_FILE.file;
  return parseCsv(text, file, ['Document', 'Topic_group']).map((r, i) =>
    validate(ticketTopicRowSchema, { text: r[0], topic: r[1] }, file, i + 1),
  );
}

/**
 * Loads the 5,431 Endava tickets with ticket type, category, urgency and impact codes (MIT), sha256-verified.
 * Caveat: urgency/impact only vary where `ticketType` is 0 (576 rows).
 * @example const { rows } = await loadTicketUrgency(); // rows[0].urgency === 3
 */
export async function loadTicketUrgency(options: TicketLoadOptions = {}): Promise<LoadedRows<TicketUrgencyRow>> {
  const source = await resolveDatasetFile(IT_TICKETS_URGENCY_FILE, options);
  return { rows: parseTicketUrgencyCsv(await readFile(source.path, 'utf8')), source };
}

const URGENCY_HEADER = [
  'title',
  'body',
  'ticket_type',
  'category',
  'sub_category1',
  'sub_category2',
  'business_service',
  'urgency',
  'impact',
] as const;

/** Parses and validates the text of `all_tickets.csv` (header `title,body,ticket_type,…,urgency,impact`). */
export function parseTicketUrgencyCsv(text: string): TicketUrgencyRow[] {
  const file = IT_TICKETS_URGENCY_FILE.file;
  return parseCsv(text, file, URGENCY_HEADER).map((r, i) =>
    validate(
      ticketUrgencyRowSchema,
      {
        title: r[0],
        body: r[1],
        ticketType: r[2],
        category: r[3],
        subCategory1: r[4],
        subCategory2: r[5],
        businessService: r[6],
        urgency: r[7],
        impact: r[8],
      },
      file,
      i + 1,
    ),
  );
}

/** Options of {@link loadItTickets}. */
export interface ItTicketsOptions extends TicketLoadOptions {
  /** `topics`: the 47,837 topic-labelled tickets; `urgency`: the 5,431 tickets with urgency/impact codes. */
  variant: 'topics' | 'urgency';
}

/** Loads either ticket file; see {@link loadTicketTopics} and {@link loadTicketUrgency}. */
export function loadItTickets(options: ItTicketsOptions & { variant: 'topics' }): Promise<LoadedRows<TicketTopicRow>>;
export function loadItTickets(
  options: ItTicketsOptions & { variant: 'urgency' },
): Promise<LoadedRows<TicketUrgencyRow>>;
export function loadItTickets(
  options: ItTicketsOptions,
): Promise<LoadedRows<TicketTopicRow> | LoadedRows<TicketUrgencyRow>> {
  const { variant, ...rest } = options;
  if (variant === 'topics') return loadTicketTopics(rest);
  if (variant === 'urgency') return loadTicketUrgency(rest);
  return Promise.reject(
    new DatasetError('INVALID_INPUT', `unknown tickets variant ${JSON.stringify(variant)}; use 'topics' or 'urgency'`),
  );
}
