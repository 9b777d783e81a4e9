import { createHash, randomUUID } from 'node:crypto';
import { invalidInput, type Store } from '@mlops/core';
import { registryEventSchema } from './records.js';
import { eventOf, type Row, toAudit } from './rows.js';
import type { RegistryEvent, SubscribeFilter, Unsubscribe } from './types.js';

/** Largest NOTIFY payload we send (PostgreSQL's limit is 8,000 bytes). */
const MAX_PAYLOAD = 7000;

/** Ids of the events delivered most recently, remembered so that none is delivered twice. */
const RECENT_IDS = 10_000;

/** Audit rows read per catch-up query. */
const CATCH_UP_PAGE = 500;

/** The default interval of the polling fallback (see `RegistryOptions.eventPollIntervalMs`). */
export const DEFAULT_EVENT_POLL_INTERVAL_MS = 5000;

/**
 * How long a hole in the audit ids is waited for before the catch-up moves past it. Ids are taken at INSERT and
 * become visible at COMMIT, so a write still in flight leaves a hole that fills later; a rolled-back write leaves one
 * for good. Registry writes are short transactions, so a minute is ample.
 */
const GAP_GRACE_MS = 60_000;

interface Subscriber {
  fn: (event: RegistryEvent) => void;
  filter: SubscribeFilter;
}

/** Fans committed changes out to in-process subscribers and, on PostgreSQL, to other processes through NOTIFY. */
export interface EventHub {
  /** Whether writes also NOTIFY other processes. */
  readonly crossProcess: boolean;
  /** Sends `event` to other processes; call inside the writing transaction, so it is delivered on commit. */
  publish(tx: Store, event: RegistryEvent): Promise<void>;
  /** Delivers `event` to this process's subscribers; call after commit. */
  emit(event: RegistryEvent): void;
  subscribe(fn: (event: RegistryEvent) => void, filter: SubscribeFilter): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/**
 * The NOTIFY channel of a registry: one per PostgreSQL schema, so registries in different schemas of one database
 * (tests, tenants) do not hear each other.
 */
export async function registryChannel(store: Store): Promise<string> {
  const [row] = await store.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const name = `mlops_registry_${row?.schema ?? 'public'}`;
  return name.length <= 63 ? name : `mlops_registry_${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/** Options of {@link createEventHub}. */
export interface EventHubOptions {
  /**
   * With a channel (PostgreSQL), writes NOTIFY it and subscribers also hear other processes' writes.
   * @default undefined (in-process events only)
   */
  channel?: string;
  /**
   * With a channel: how often the audit log is read for events that NOTIFY did not bring (a notification lost with
   * its connection); `0` turns the polling fallback off (a reconnection still catches up).
   * @default 5000
   */
  pollIntervalMs?: number;
}

/**
 * Creates the event hub. With a `channel` (PostgreSQL), writes NOTIFY it and subscribers also hear other processes.
 * Notifications are lost while the LISTEN connection is down (a PostgreSQL restart), so the hub also catches up from
 * the audit log — every change event is an audit row — once the connection is restored and every `pollIntervalMs`:
 * it reads the rows newer than the last one it settled and delivers those it has not delivered. Events are
 * deduplicated by audit id, so a subscriber never hears one twice, whichever path brought it first.
 */
export function createEventHub(store: Store, options: EventHubOptions = {}): EventHub {
  const { channel } = options;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_EVENT_POLL_INTERVAL_MS;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 0) {
    throw invalidInput('invalid eventPollIntervalMs', [
      { path: 'eventPollIntervalMs', message: 'Expected a number of milliseconds >= 0' },
    ]);
  }
  const origin = randomUUID();
  const subscribers = new Set<Subscriber>();
  let unlisten: Unsubscribe | undefined;
  let listening: Promise<void> | undefined;
  let closed = false;

  // Catch-up state: every audit id <= floor has been delivered or given up as a hole; `recent` holds the ids
  // delivered lately (by any path), oldest first.
  let floor: number | undefined;
  const recent = new Set<number>();
  let hole: { id: number; since: number } | undefined;
  let catchingUp: Promise<void> | undefined;
  let catchUpAgain = false;
  let pollTimer: NodeJS.Timeout | undefined;

  const deliver = (event: RegistryEvent) => {
    if (recent.has(event.id)) return;
    recent.add(event.id);
    if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value as number);
    for (const s of subscribers) {
      if (s.filter.model !== undefined && s.filter.model !== event.model) continue;
      try {
        s.fn(event);
      } catch {
        // A failing subscriber must not break the write that triggered it, nor the other subscribers.
      }
    }
  };

  const onNotification = (payload: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const { o, e } = (parsed ?? {}) as { o?: unknown; e?: unknown };
    if (o === origin) return; // our own write: already delivered in-process after commit
    const r = registryEventSchema.safeParse(e);
    if (r.success) deliver(r.data);
  };

  /** Moves the floor over the ids just read, in order, stopping at a hole younger than the grace period. */
  const advance = (ids: readonly number[]) => {
    for (const id of ids) {
      if (floor === undefined || id <= floor) continue;
      if (id !== floor + 1) {
        const now = Date.now();
        if (hole?.id !== floor + 1) hole = { id: floor + 1, since: now };
        if (now - hole.since < GAP_GRACE_MS) return;
      }
      floor = id;
      hole = undefined;
    }
  };

  async function catchUpOnce(): Promise<void> {
    while (floor !== undefined && !closed) {
      const start = floor;
      const rows = await store.query<Row>(
        `SELECT * FROM registry_audit WHERE id > $1 ORDER BY id LIMIT ${CATCH_UP_PAGE}`,
        [start],
      );
      for (const row of rows) deliver(eventOf(toAudit(row)));
      advance(rows.map((r) => Number(r.id)));
      if (rows.length < CATCH_UP_PAGE || floor === start) return;
    }
  }

  /** Reads the audit rows newer than the floor and delivers those not delivered yet; never throws. */
  const catchUp = (): Promise<void> => {
    if (catchingUp) {
      catchUpAgain = true; // e.g. a reconnection during a poll: read again once this pass ends
      return catchingUp;
    }
    catchingUp = (async () => {
      do {
        catchUpAgain = false;
        try {
          await catchUpOnce();
        } catch {
          // The store is unreachable (or closing): the next poll or reconnection tries again.
        }
      } while (catchUpAgain && !closed);
    })().finally(() => {
      catchingUp = undefined;
    });
    return catchingUp;
  };

  const startListening = async (ch: string, listen: NonNullable<Store['listen']>) => {
    // The floor is read before LISTEN, so a write committed in between is found by the catch-up.
    const [row] = await store.query<{ id: number | string | null }>('SELECT max(id) AS id FROM registry_audit');
    floor = Number(row?.id ?? 0);
    unlisten = await listen(ch, onNotification, {
      onStatus: (status) => {
        if (status.state === 'restored') void catchUp();
      },
    });
    if (pollIntervalMs > 0 && !closed) {
      pollTimer = setInterval(() => void catchUp(), pollIntervalMs);
      pollTimer.unref?.();
    }
  };

  const ensureListening = async () => {
    if (!channel || !store.listen) return;
    listening ??= startListening(channel, store.listen.bind(store));
    try {
      await listening;
    } catch (err) {
      listening = undefined;
      throw err;
    }
  };

  return {
    crossProcess: channel !== undefined && typeof store.notify === 'function',
    async publish(tx, event) {
      if (!channel || !tx.notify) return;
      let payload = JSON.stringify({ o: origin, e: event });
      if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
        payload = JSON.stringify({ o: origin, e: { ...event, reason: event.reason?.slice(0, 200) ?? null } });
      }
      await tx.notify(channel, payload);
    },
    emit: deliver,
    async subscribe(fn, filter) {
      const sub: Subscriber = { fn, filter };
      subscribers.add(sub);
      try {
        await ensureListening();
      } catch (err) {
        subscribers.delete(sub);
        throw err;
      }
      return async () => {
        subscribers.delete(sub);
      };
    },
    async close() {
      closed = true;
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = undefined;
      subscribers.clear();
      const stop = unlisten;
      unlisten = undefined;
      listening = undefined;
      await stop?.();
    },
  };
}
