import { describe, expect, it } from 'vitest';
import { RequestState } from './request-context.js';

describe('RequestState', () => {
  it('is the request’s prediction call: version labels, and a signal made only when asked for', () => {
    const st = new RequestState('req-1', 12.5);
    expect([st.requestId, st.start, st.model, st.version]).toEqual(['req-1', 12.5, '', '']);
    st.onVersion('3');
    expect(st.version).toBe('3');
    expect(st.signal.aborted).toBe(false);
    expect(st.signal).toBe(st.signal);
  });

  it('cancel() aborts the signal, tells the one listener once, and is remembered', () => {
    const st = new RequestState('req-2', 0);
    const signal = st.signal;
    const told: unknown[] = [];
    st.watchCancel((reason) => told.push(reason));
    st.cancel('gone');
    st.cancel('again');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
    expect(told).toEqual(['gone']);
    expect(st.cancelled).toEqual({ reason: 'gone' });
  });

  it('a signal asked for after the client left is already aborted; a cleared listener is not told', () => {
    const st = new RequestState('req-3', 0);
    const told: unknown[] = [];
    st.watchCancel((reason) => told.push(reason));
    st.watchCancel(undefined);
    st.cancel('gone');
    expect(told).toEqual([]);
    expect(st.signal.aborted).toBe(true);
    expect(st.signal.reason).toBe('gone');
  });
});
