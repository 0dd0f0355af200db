import { createHmac } from 'node:crypto';
import { normaliseEmail } from '../domain/scoring';

/**
 * The one place lead and workflow ids come from. The id is a keyed hash (HMAC-SHA-256) of the
 * normalised email, so the same person lands on the same workflow (no duplicate leads), the email never
 * appears in ids, URLs or the Temporal UI, and without the secret (`LEADFLOW_LEAD_ID_SECRET`) nobody can
 * tell from a list of emails which ids they have.
 *
 * `generation` counts the person's erased leads: once a lead is erased its id is a tombstone, and the
 * next form fill from that email starts a new lead under the next generation's id, which shares nothing
 * with the old one (see api/lead-identity.ts).
 */
export function leadIdForEmail(email: string, secret: string, generation = 0): string {
  const hmac = createHmac('sha256', secret).update(normaliseEmail(email));
  if (generation > 0) hmac.update(`\u0000${generation}`);
  return `lead-${hmac.digest('hex').slice(0, 32)}`;
}

const LEAD_ID = /^lead-[0-9a-f]{32}$/;

/** True for a lead's id (and so for its workflow's id): what the payload codec encrypts per lead. */
export function isLeadWorkflowId(workflowId: string): boolean {
  return LEAD_ID.test(workflowId);
}

export function workflowIdForLead(leadId: string): string {
  return leadId;
}

/** The id of the workflow that erases a lead (one per lead, so a repeated request joins the first). */
export function erasureWorkflowIdForLead(leadId: string): string {
  return `erasure-${leadId}`;
}
