import { createHash } from 'node:crypto';
import { normaliseEmail } from '../domain/scoring';

/**
 * The one place lead and workflow ids come from. The id is derived from the normalised email so the
 * same person always lands on the same workflow (no duplicate leads), but the email itself never
 * appears in ids, URLs or the Temporal UI's workflow list. It is a pseudonym, not anonymisation: anyone
 * holding an email can compute its id.
 */
export function leadIdForEmail(email: string): string {
  return `lead-${createHash('sha256').update(normaliseEmail(email)).digest('hex').slice(0, 32)}`;
}

export function workflowIdForLead(leadId: string): string {
  return leadId;
}
