import { proxyActivities } from '@temporalio/workflow';
import type { ErasureActivities } from '../activities/erasure.activities';
import type { ErasureReceipt, ErasureRequest } from '../domain/personal-data';

// An erasure must finish once asked for: retried until the database and the lead's worker are back.
const { stopLeadForErasure } = proxyActivities<ErasureActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const { shredLead } = proxyActivities<ErasureActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['LeadNotFound'] },
});

/**
 * Erases a person (GDPR art. 17), durably: once started it completes even if the API that asked goes
 * away. First the lead's own workflow records LeadErased and ends (an open lead), then its personal
 * fields are removed from the database and its data key destroyed. The order matters: with the key
 * gone, no task of the lead's workflow could be decoded again. One workflow per lead
 * (`erasure-<leadId>`); its payloads hold nothing personal and use the system key.
 */
export async function leadErasureWorkflow(request: ErasureRequest): Promise<ErasureReceipt> {
  await stopLeadForErasure(request);
  return shredLead(request);
}
