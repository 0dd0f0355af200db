import { createHmac } from 'node:crypto';
import { ApplicationFailure, log } from '@temporalio/activity';

export interface LeadNotification {
  kind: 'lead_assigned' | 'sla_reminder' | 'sla_breached' | 'lead_recycled';
  leadId: string;
  /** Rep, manager or team the message is for. */
  to: string;
  /** Seq of the event that caused it: with leadId, a stable idempotency key for the receiver. */
  eventSeq: number;
  occurredAt: string;
  detail: Record<string, unknown>;
}

export interface NotifyConfig {
  /** When unset, notifications are structured log lines only. */
  webhookUrl?: string;
  webhookSecret?: string;
  fetch?: typeof fetch;
}

/** `sha256=<hex>` over `${timestamp}.${body}`: the receiver recomputes it and rejects old timestamps. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The lead workflow's own notifications, as they were before the public events: leads no longer send
 * them (patch notifications-as-events in workflows/lead.workflow.ts; the webhook dispatchers deliver
 * lead.assigned, lead.sla_reminder, … instead). Kept for runs that queued some before that change and
 * still deliver them.
 */
export function createNotifyActivities(config: NotifyConfig) {
  const doFetch = config.fetch ?? fetch;
  return {
    async notify(n: LeadNotification): Promise<void> {
      if (!config.webhookUrl) {
        log.info('lead notification', { notification: n });
        return;
      }
      const body = JSON.stringify(n);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'idempotency-key': `${n.leadId}:${n.eventSeq}:${n.kind}`,
        'x-leadflow-timestamp': timestamp,
      };
      if (config.webhookSecret) headers['x-leadflow-signature'] = signWebhook(config.webhookSecret, timestamp, body);
      const res = await doFetch(config.webhookUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      if (res.ok) return;
      // 4xx other than 408/429 will not get better by retrying: the receiver refuses this message.
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      const message = `notification webhook answered ${res.status}`;
      if (!retryable) throw ApplicationFailure.nonRetryable(message, 'NotificationRejected');
      throw new Error(message);
    },
  };
}
