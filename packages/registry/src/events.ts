import { createHash, randomUUID } from 'node:crypto';
import type { Store } from '@mlops/core';
import { registryEventSchema } from './records.js';
import type { RegistryEvent, SubscribeFilter, Unsubscribe } from './types.js';

/** Largest NOTIFY payload we send (PostgreSQL's limit is 8,000 bytes). */
const MAX_PAYLOAD = 7000;

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

/** Creates the event hub. With `channel` set (PostgreSQL), writes NOTIFY it and subscribers also hear others. */
export function createEventHub(store: Store, channel: string | undefined): EventHub {
  const origin = randomUUID();
  const subscribers = new Set<Subscriber>();
  let unlisten: Unsubscribe | undefined;
  let listening: Promise<void> | undefined;

  const deliver = (event: RegistryEvent) => {
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

  const ensureListening = async () => {
    if (!channel || !store.listen) return;
    listening ??= store.listen(channel, onNotification).then((stop) => {
      unlisten = stop;
    });
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
      subscribers.clear();
      const stop = unlisten;
      unlisten = undefined;
      listening = undefined;
      await stop?.();
    },
  };
}
