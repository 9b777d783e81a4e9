import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatasetError } from './errors.js';
import { loadItTickets, loadTicketTopics, parseTicketTopicsCsv, parseTicketUrgencyCsv } from './tickets.js';

// Files passed by `path` are still sha256-checked, so a hand-written file is always rejected before parsing; these
// tests pin that behaviour. Parsing and validation of the real files is covered in test/real-data.test.ts.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-datasets-tickets-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ticket loaders', () => {
  it('refuses a file that is not the published one, even when it parses', async () => {
    const path = join(dir, 'topics.csv');
    await writeFile(path, 'Document,Topic_group\r\nplease reset password,Access\r\n');
    const err = await loadTicketTopics({ path }).catch((e: unknown) => e);
    expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain('all_tickets_processed_improved_v3.csv');
  });

  it('rejects an unknown variant with INVALID_INPUT', async () => {
    const err = await loadItTickets({ variant: 'priority' as 'topics' }).catch((e: unknown) => e);
    expect(isDatasetError(err, 'INVALID_INPUT')).toBe(true);
  });
});

describe('parseTicketTopicsCsv / parseTicketUrgencyCsv', () => {
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return isDatasetError(err) ? err.code : String(err);
    }
    return 'no error';
  };
  const urgencyHeader = 'title,body,ticket_type,category,sub_category1,sub_category2,business_service,urgency,impact';

  it('parses typed rows (CRLF, quoted fields, empty title)', () => {
    expect(parseTicketTopicsCsv('Document,Topic_group\r\n"reset, password",Access\r\nnew laptop,Hardware\r\n')).toEqual(
      [
        { text: 'reset, password', topic: 'Access' },
        { text: 'new laptop', topic: 'Hardware' },
      ],
    );
    expect(parseTicketUrgencyCsv(`${urgencyHeader}\r\n,hi please help,0,4,2,21,71,1,3\r\n`)).toEqual([
      {
        title: '',
        body: 'hi please help',
        ticketType: 0,
        category: 4,
        subCategory1: 2,
        subCategory2: 21,
        businessService: 71,
        urgency: 1,
        impact: 3,
      },
    ]);
  });

  it.each([
    ['a wrong header', () => parseTicketTopicsCsv('text,topic\r\nx,Access\r\n')],
    ['an unknown topic', () => parseTicketTopicsCsv('Document,Topic_group\r\nx,Networking\r\n')],
    ['an empty text', () => parseTicketTopicsCsv('Document,Topic_group\r\n,Access\r\n')],
    ['an empty label code', () => parseTicketUrgencyCsv(`${urgencyHeader}\r\nt,b,1,4,2,21,71,,4\r\n`)],
    ['an urgency above 3', () => parseTicketUrgencyCsv(`${urgencyHeader}\r\nt,b,1,4,2,21,71,7,4\r\n`)],
    ['a short row', () => parseTicketUrgencyCsv(`${urgencyHeader}\r\nt,b,1\r\n`)],
  ])('rejects %s with INVALID_INPUT', (_, fn) => {
    expect(codeOf(fn)).toBe('INVALID_INPUT');
  });

  it('names the file and the data row in validation errors', () => {
    expect(() => parseTicketTopicsCsv('Document,Topic_group\r\nok,Access\r\nx,Networking\r\n')).toThrow(
      /all_tickets_processed_improved_v3\.csv, data row 2: topic/,
    );
  });
});
