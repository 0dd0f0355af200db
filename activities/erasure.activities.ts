import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { workflowIdForLead } from '../client/lead-id';
import type { Db } from '../db/connection';
import { eraseLeadData, LeadNotFoundError } from '../db/erasure.repository';
import type { ErasureReceipt, ErasureRequest } from '../domain/personal-data';
import { keyIdForLead, type KeyStore } from '../encryption/key-store';
import { COMMAND_REFUSED, eraseUpdate } from '../workflows/lead.messages';

export interface ErasureDeps {
  db: Db;
  keys: KeyStore;
  /** A client with Leadflow's data converter, to reach the lead's workflow. */
  client: Client;
}

/** Failure type of an erasure asked for a lead the read model does not know (not retried). */
export const LEAD_NOT_FOUND = 'LeadNotFound';

/**
 * The steps of an erasure (workflows/lead-erasure.workflow.ts): stop the lead, then shred it. Where a
 * lead's key is destroyed: `shredLead`, in the same transaction that removes its personal fields.
 */
export function createErasureActivities(deps: ErasureDeps | undefined) {
  const need = (): ErasureDeps => {
    if (!deps) throw ApplicationFailure.nonRetryable('this worker was created without erasure dependencies', 'NotConfigured');
    return deps;
  };
  return {
    /**
     * Asks the lead's workflow to record LeadErased and end, then waits until its run has closed, so no
     * task of it needs the lead's key again. A lead whose workflow has already completed (won,
     * disqualified, or erased by an earlier attempt) is left as it is.
     */
    async stopLeadForErasure(request: ErasureRequest): Promise<'stopped' | 'already_closed'> {
      const { client } = need();
      const handle = client.workflow.getHandle(workflowIdForLead(request.leadId));
      let outcome: 'stopped' | 'already_closed' = 'stopped';
      try {
        // One update id per lead: a retried activity joins the first Update instead of sending another.
        await handle.executeUpdate(eraseUpdate, { args: [{ requestedBy: request.requestedBy }], updateId: `erasure/${request.leadId}` });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) outcome = 'already_closed';
        else if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === COMMAND_REFUSED) outcome = 'already_closed';
        else throw err;
      }
      for (;;) {
        const status = await handle
          .describe()
          .then((d) => d.status.name)
          .catch((err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return 'GONE';
            throw err;
          });
        if (status !== 'RUNNING') return outcome;
        Context.current().heartbeat(status);
        await Context.current().sleep(500);
      }
    },

    /** Removes the lead's personal data from the database and destroys its data key (one transaction). */
    async shredLead(request: ErasureRequest): Promise<ErasureReceipt> {
      const { db, keys } = need();
      try {
        const receipt = await eraseLeadData(db, request);
        keys.forget(keyIdForLead(request.leadId));
        return receipt;
      } catch (err) {
        if (err instanceof LeadNotFoundError) throw ApplicationFailure.nonRetryable(err.message, LEAD_NOT_FOUND);
        throw err;
      }
    },
  };
}

export type ErasureActivities = ReturnType<typeof createErasureActivities>;
