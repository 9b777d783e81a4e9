// The audit log and its change events: every committed write appends one entry (see context.ts's `write`), and
// subscribers hear it as an event.
import { parseInput } from '@mlops/core';
import { pageById } from './_internal/paging.js';
import type { RegistryContext } from './context.js';
import { toAudit } from './rows.js';
import { listAuditInputSchema, subscribeFilterSchema } from './schemas.js';
import type { Registry } from './types.js';

/** The registry's audit and event methods. */
export function auditMethods(ctx: RegistryContext): Pick<Registry, 'listAudit' | 'subscribe'> {
  return {
    async listAudit(raw = {}) {
      const input = parseInput(listAuditInputSchema, raw);
      const filters = { model: input.model, action: input.action, principal: input.principal };
      return pageById(ctx.store, 'registry_audit', filters, input, toAudit);
    },

    async subscribe(fn, filter = {}) {
      const f = parseInput(subscribeFilterSchema, filter, 'filter');
      return ctx.hub.subscribe(fn, f);
    },
  };
}
