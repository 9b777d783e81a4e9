// The PostgreSQL store's LISTEN connection: one dedicated connection for every channel of a store, reconnected with
// backoff when it is lost (server restart, failover, idle-connection killer, pg_terminate_backend), LISTEN re-issued
// for every channel, and each loss and recovery reported — never an unhandled rejection or error event.
import type { Client } from 'pg';
import { type Backoff, backoffDelay } from '../retry.js';
import { quoteIdent } from './_shared.js';
import type { ListenStatus, StoreListenOptions } from './store.js';

/** The default backoff between reconnection attempts of the listener: 250 ms doubling up to 10 s (plus jitter). */
export const DEFAULT_LISTEN_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000, factor: 2 };

interface Subscription {
  fn: (payload: string) => void;
  onStatus: ((status: ListenStatus) => void) | undefined;
}

/** One dedicated LISTEN connection shared by every channel of a store. */
export interface PgListener {
  listen(channel: string, fn: (payload: string) => void, options?: StoreListenOptions): Promise<() => Promise<void>>;
  /** Ends the connection and stops reconnecting. */
  close(): Promise<void>;
}

/** Options of {@link createPgListener}. */
export interface PgListenerOptions {
  /** A new, not yet connected client. */
  newClient: () => Client;
  backoff: Backoff;
  /** Called on each loss and recovery, besides each subscription's own `onStatus`. */
  onStatus?: (status: ListenStatus) => void;
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/** Creates the listener; the connection opens with the first `listen` and closes when the last channel is dropped. */
export function createPgListener(options: PgListenerOptions): PgListener {
  const channels = new Map<string, Set<Subscription>>();
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let closed = false;

  const report = (status: ListenStatus) => {
    const callbacks = new Set<(s: ListenStatus) => void>();
    if (options.onStatus) callbacks.add(options.onStatus);
    for (const subs of channels.values()) for (const s of subs) if (s.onStatus) callbacks.add(s.onStatus);
    for (const cb of callbacks) {
      try {
        cb(status);
      } catch {
        // A failing status callback must not stop the listener.
      }
    }
  };

  const onNotification = (msg: { channel: string; payload?: string }) => {
    for (const s of channels.get(msg.channel) ?? []) {
      try {
        s.fn(msg.payload ?? '');
      } catch {
        // A failing subscriber must not stop the others.
      }
    }
  };

  /** Ends a client we no longer use; its late errors are swallowed. */
  const discard = (c: Client) => {
    c.removeAllListeners('notification');
    c.removeAllListeners('end');
    c.end().catch(() => {});
  };

  const scheduleReconnect = (error: Error) => {
    if (closed || channels.size === 0) return;
    const retryInMs = backoffDelay(attempt, options.backoff);
    report({ state: 'lost', error, attempt, retryInMs });
    timer = setTimeout(() => {
      timer = undefined;
      void reconnect();
    }, retryInMs);
    timer.unref?.();
  };

  const lost = (c: Client, err: unknown) => {
    if (c !== client) return; // an old client's late error or end
    client = undefined;
    discard(c);
    scheduleReconnect(asError(err));
  };

  /** Connects a new client and LISTENs on every channel. */
  async function open(): Promise<Client> {
    const c = options.newClient();
    c.on('error', (err) => lost(c, err)); // before connect: an error event without a handler would crash the process
    try {
      await c.connect();
      c.on('notification', onNotification);
      c.on('end', () => lost(c, new Error('the LISTEN connection ended')));
      for (const channel of channels.keys()) await c.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      discard(c);
      throw err;
    }
    return c;
  }

  async function reconnect(): Promise<void> {
    if (closed || channels.size === 0) return;
    try {
      const c = await open();
      if (closed || channels.size === 0) {
        discard(c);
        return;
      }
      client = c;
      const took = attempt + 1;
      attempt = 0;
      report({ state: 'restored', attempts: took });
    } catch (err) {
      attempt++;
      scheduleReconnect(asError(err));
    }
  }

  /** The connected client; opens it on first use (a failure rejects, as the first LISTEN must succeed). */
  async function connected(): Promise<Client | undefined> {
    if (client) return client;
    if (timer) return undefined; // reconnecting: the new channel is LISTENed on reconnect
    connecting ??= open()
      .then((c) => {
        if (closed) {
          discard(c);
          throw new Error('the store is closed');
        }
        client = c;
        return c;
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  }

  function stopConnection() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    attempt = 0;
    const c = client;
    client = undefined;
    if (c) discard(c);
  }

  return {
    async listen(channel, fn, listenOptions = {}) {
      const sub: Subscription = { fn, onStatus: listenOptions.onStatus };
      let subs = channels.get(channel);
      const isNew = !subs;
      if (!subs) {
        subs = new Set();
        channels.set(channel, subs);
      }
      subs.add(sub);
      const drop = () => {
        subs.delete(sub);
        if (subs.size === 0 && channels.get(channel) === subs) channels.delete(channel);
      };
      try {
        const c = await connected();
        if (isNew && c) {
          try {
            await c.query(`LISTEN ${quoteIdent(channel)}`);
          } catch (err) {
            // Lost meanwhile: the reconnection LISTENs on every channel, this one included.
            if (client === c) throw err;
          }
        }
      } catch (err) {
        drop();
        if (channels.size === 0) stopConnection();
        throw err;
      }
      let done = false;
      return async () => {
        if (done) return;
        done = true;
        drop();
        if (channels.size === 0) {
          stopConnection();
          return;
        }
        if (!channels.has(channel) && client) await client.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
      };
    },
    async close() {
      closed = true;
      channels.clear();
      stopConnection();
    },
  };
}
