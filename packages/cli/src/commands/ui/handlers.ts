import { redactStoreUrl } from '@mlops/core';
import { listenDashboard } from '@mlops/dashboard';
import type { CliContext } from '../../context.js';
import type { Output } from '../../output.js';

/** Options of {@link uiCommand}. */
export interface UiCommandOptions {
  /**
   * Port; 0 picks a free one.
   * @default 8090
   */
  port?: number;
  /**
   * Address to bind; API keys are required on anything but loopback unless `auth` is `disabled`.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * API-key authentication mode (reads need `registry:read`, promote/rollback `registry:write`).
   * @default 'auto'
   */
  auth?: 'auto' | 'required' | 'disabled';
  /**
   * Signals that stop the dashboard.
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
  /**
   * Called once the dashboard listens, with its URL and a way to stop it (tests).
   * @default undefined
   */
  onListening?: (info: { url: string; close: () => Promise<void> }) => void;
}

/**
 * `mlops ui`: serves the web dashboard (runs, models with promote/rollback, monitoring) over the store. Over an
 * embedded store this process owns it (the dashboard runs in-process, as the only process); with `--server`,
 * promotions go to that server's registry API. Runs until SIGTERM/SIGINT.
 */
export async function uiCommand(opts: UiCommandOptions, ctx: CliContext, out: Output): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  // A server: an embedded store's SQL (the prediction log, the monitors' queries) runs on a thread of its own.
  const store = await ctx.store({ pgliteThread: 'worker' });
  const registry = await ctx.registry();
  const listening = await listenDashboard({
    store,
    registry,
    objects: ctx.objects(),
    host,
    port: opts.port ?? 8090,
    ...(opts.auth ? { auth: opts.auth } : {}),
    onWarning: (m) => out.note(`warning: ${m}`),
  });
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      for (const s of signals) process.off(s, stop);
      void listening.close().then(resolve, resolve);
    };
    for (const s of signals) process.on(s, stop);
    listening.server.once('close', () => {
      for (const s of signals) process.off(s, stop);
      resolve();
    });
  });
  out.result({ url: listening.url, auth: listening.dashboard.authEnabled, store: redactStoreUrl(ctx.storeUrl) }, () =>
    [
      `Dashboard at ${listening.url} (auth ${listening.dashboard.authEnabled ? 'on' : 'off'})`,
      '  runs, models (promote / roll back) and monitoring over the store',
      'Ctrl-C (SIGINT) or SIGTERM stops.',
    ].join('\n'),
  );
  opts.onListening?.({ url: listening.url, close: () => listening.close() });
  await stopped;
  await listening.close();
}
