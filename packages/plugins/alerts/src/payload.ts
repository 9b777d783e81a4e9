import type { Alert } from '@mlops/core';

/** Extra context a sink adds to an alert it delivers. */
export interface AlertDeliveryContext {
  /** Alerts with the same dedupe key suppressed (deduplicated or in cooldown) since the last delivered one. */
  suppressed: number;
  /** When the first of those suppressed alerts arrived. */
  suppressedSince?: Date;
}

/** The generic JSON body of a webhook: the alert with an ISO time, plus the suppressed count. */
export interface JsonAlertPayload {
  source: 'mlops';
  severity: Alert['severity'];
  title: string;
  message: string;
  labels: Record<string, string>;
  time: string;
  dedupeKey: string;
  suppressed: number;
  suppressedSince?: string;
}

/** A Slack Block Kit text object. */
export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}

/** A Slack block of the kinds this sink emits. */
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] };

/** A Slack-compatible incoming-webhook body: `text` (notifications, fallback) and `blocks` (the rendered message). */
export interface SlackAlertPayload {
  text: string;
  blocks: SlackBlock[];
}

const SEVERITY_EMOJI: Record<Alert['severity'], string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

// Slack's documented limits: header text 150 characters, section text 3,000, context 10 elements.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const CONTEXT_MAX_ELEMENTS = 10;

const truncate = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function suppressedLine(ctx: AlertDeliveryContext): string | undefined {
  if (ctx.suppressed <= 0) return undefined;
  const since = ctx.suppressedSince ? ` since ${ctx.suppressedSince.toISOString()}` : '';
  return `${ctx.suppressed} similar alert${ctx.suppressed === 1 ? '' : 's'} suppressed${since}`;
}

/** The generic JSON payload of an alert. */
export function toJsonPayload(alert: Alert, ctx: AlertDeliveryContext = { suppressed: 0 }): JsonAlertPayload {
  return {
    source: 'mlops',
    severity: alert.severity,
    title: alert.title,
    message: alert.message,
    labels: alert.labels,
    time: alert.time.toISOString(),
    dedupeKey: alert.dedupeKey,
    suppressed: ctx.suppressed,
    ...(ctx.suppressedSince ? { suppressedSince: ctx.suppressedSince.toISOString() } : {}),
  };
}

/** The Slack-compatible payload of an alert (`text` for notifications, `blocks` for the message itself). */
export function toSlackPayload(alert: Alert, ctx: AlertDeliveryContext = { suppressed: 0 }): SlackAlertPayload {
  const sev = alert.severity.toUpperCase();
  const suppressed = suppressedLine(ctx);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${sev}: ${alert.title}`, HEADER_MAX) } },
  ];
  if (alert.message.trim() !== '') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(escapeSlack(alert.message), SECTION_MAX) } });
  }
  const context: SlackText[] = [
    { type: 'mrkdwn', text: `${SEVERITY_EMOJI[alert.severity]} *${sev}* · ${alert.time.toISOString()}` },
  ];
  if (suppressed) context.push({ type: 'mrkdwn', text: `:mute: ${suppressed}` });
  const labels = Object.entries(alert.labels);
  const room = CONTEXT_MAX_ELEMENTS - context.length;
  const shown = labels.length > room ? labels.slice(0, room - 1) : labels;
  for (const [k, v] of shown) context.push({ type: 'mrkdwn', text: `*${escapeSlack(k)}*: ${escapeSlack(v)}` });
  if (shown.length < labels.length) context.push({ type: 'mrkdwn', text: `+${labels.length - shown.length} labels` });
  blocks.push({ type: 'context', elements: context });
  return {
    text: `${SEVERITY_EMOJI[alert.severity]} [${sev}] ${escapeSlack(alert.title)}${suppressed ? ` (${suppressed})` : ''}`,
    blocks,
  };
}
