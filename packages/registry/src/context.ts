// What every area of the registry shares: the store, the settings, and `write()` — one transaction that also
// appends the audit entry of the change and publishes its change event.
import { userInfo } from 'node:os';
import { migrate, type ObjectStore, type Store } from '@mlops/core';
import { createEventHub, type EventHub, registryChannel } from './events.js';
import { migrateRegistry } from './migrations/index.js';
import { DEFAULT_MAX_PROFILE_BYTES } from './profile.js';
import type { AuditAction, AuditEntry, RegistryEvent } from './records.js';
import { eventOf, json, type Row, toAudit } from './rows.js';

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /** The store holding the registry's tables (`registry_*`, migrated on creation). */
  store: Store;
  /**
   * When given, `createVersion` checks that the model package exists (`NOT_FOUND` otherwise). With a whole
   * `ObjectStore` it also checks, freshens and references every file of the package, so garbage collection keeps
   * them while the version exists.
   * @default undefined (digests are taken on trust)
   */
  objects?: Pick<ObjectStore, 'has'>;
  /**
   * Cross-process change events through PostgreSQL `LISTEN/NOTIFY` (PostgreSQL stores only; on PGlite events are
   * in-process only, whatever this says).
   * @default true
   */
  events?: boolean;
  /**
   * With cross-process events: how often, in milliseconds, the audit log is read for changes whose notification was
   * lost (a PostgreSQL restart or a dropped LISTEN connection), so subscribers still hear every change, at most this
   * late; a restored LISTEN connection also catches up at once. Events are deduplicated by audit id. `0` turns the
   * polling off.
   * @default 5000
   */
  eventPollIntervalMs?: number;
  /**
   * The principal recorded for writes that name none.
   * @default `local:<OS user name>`
   */
  principal?: string;
  /**
   * Largest serialized reference profile accepted, in bytes.
   * @default 16 MiB
   */
  maxProfileBytes?: number;
  /**
   * How many previous targets an alias's rollback stack keeps (the oldest are dropped first).
   * @default 100
   */
  maxRollbackDepth?: number;
}

/** One audit log entry to append (the change event is derived from it). */
export interface AuditInput {
  action: AuditAction;
  model?: string;
  version?: number;
  alias?: string;
  fromVersion?: number | null;
  principal: string;
  reason: string | undefined;
  details?: Record<string, unknown>;
}

/** Appends an audit entry inside the running write transaction and returns it. */
export type AppendAudit = (entry: AuditInput) => Promise<AuditEntry>;

/** The registry's shared state, handed to each area (models, versions, aliases, promotion, audit). */
export interface RegistryContext {
  readonly store: Store;
  /** Checks model package blobs on `createVersion`, when given. */
  readonly objects: Pick<ObjectStore, 'has'> | undefined;
  /** The principal of writes that name none. */
  readonly principal: string;
  readonly maxProfileBytes: number;
  readonly maxRollbackDepth: number;
  readonly hub: EventHub;
  /**
   * Runs `fn` in one transaction; each `audit(entry)` it calls appends an audit row and publishes its change event
   * (NOTIFY, sent on commit). In-process subscribers get the events once the transaction has committed.
   */
  write<T>(fn: (tx: Store, audit: AppendAudit) => Promise<T>): Promise<T>;
  /** Stops subscriptions and listeners (does not close the store). */
  close(): Promise<void>;
}

function defaultPrincipal(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    return 'local:unknown';
  }
}

/** Migrates the registry's tables, opens its event hub and returns the context its areas share. */
export async function openRegistryContext(options: RegistryOptions): Promise<RegistryContext> {
  const { store } = options;
  await migrateRegistry(store);
  await migrate(store, { areas: ['objects'] });
  const crossProcess = options.events !== false && store.driver === 'postgres' && typeof store.listen === 'function';
  const hub = createEventHub(store, {
    ...(crossProcess ? { channel: await registryChannel(store) } : {}),
    ...(options.eventPollIntervalMs === undefined ? {} : { pollIntervalMs: options.eventPollIntervalMs }),
  });

  async function write<T>(fn: (tx: Store, audit: AppendAudit) => Promise<T>): Promise<T> {
    let events: RegistryEvent[] = [];
    const result = await store.transaction(async (tx) => {
      events = [];
      const audit: AppendAudit = async (entry) => {
        const [row] = await tx.query<Row>(
          `INSERT INTO registry_audit (principal, action, model, version, alias, from_version, reason, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING *`,
          [
            entry.principal,
            entry.action,
            entry.model ?? null,
            entry.version ?? null,
            entry.alias ?? null,
            entry.fromVersion ?? null,
            entry.reason ?? null,
            json(entry.details ?? {}),
          ],
        );
        const full = toAudit(row!);
        const event = eventOf(full);
        await hub.publish(tx, event);
        events.push(event);
        return full;
      };
      return fn(tx, audit);
    });
    for (const e of events) hub.emit(e);
    return result;
  }

  return {
    store,
    objects: options.objects,
    principal: options.principal ?? defaultPrincipal(),
    maxProfileBytes: options.maxProfileBytes ?? DEFAULT_MAX_PROFILE_BYTES,
    maxRollbackDepth: options.maxRollbackDepth ?? 100,
    hub,
    write,
    close: () => hub.close(),
  };
}
