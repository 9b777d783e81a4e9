import { describe, expect, it } from 'vitest';
import { createSseParser, type SseMessage } from './sse.js';

describe('createSseParser', () => {
  const stream = ': subscribed\n\nid: 7\nevent: change\ndata: {"a":1}\n\nretry: 10\ndata: line1\ndata: line2\n\n';

  it.each([1, 2, 3, 5, stream.length])('parses the same events whatever the chunk size (%i)', (size) => {
    const out: SseMessage[] = [];
    const feed = createSseParser((m) => out.push(m));
    for (let i = 0; i < stream.length; i += size) feed(stream.slice(i, i + size));
    expect(out).toEqual([
      { event: 'change', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'line1\nline2', id: '7' },
    ]);
  });

  it('accepts CRLF and CR line endings, even split between chunks', () => {
    const out: SseMessage[] = [];
    const feed = createSseParser((m) => out.push(m));
    feed('data: x\r');
    feed('\n\r');
    feed('\ndata:y\r\r\n');
    expect(out.map((m) => m.data)).toEqual(['x', 'y']);
  });

  it('keeps an incomplete event until its blank line arrives', () => {
    const out: SseMessage[] = [];
    const feed = createSseParser((m) => out.push(m));
    feed('data: partial\n');
    expect(out).toEqual([]);
    feed('\n');
    expect(out).toHaveLength(1);
  });
});
