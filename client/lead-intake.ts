import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { LeadPolicy } from '../domain/lead-policy';
import type { LeadState } from '../domain/lead-state';
import { leadWorkflow } from '../workflows';
import { LEAD_TASK_QUEUE, LEAD_WORKFLOW_TASK_TIMEOUT, submitFormUpdate, type FillFormInput, type FormAnswer } from '../workflows/lead.messages';
import { workflowIdForLead } from './lead-id';

export interface SubmitFormOptions {
  /**
   * Temporal update id (e.g. the caller's Idempotency-Key): concurrent or repeated submissions with the
   * same id to the same workflow run collapse into one form fill with one answer.
   */
  updateId?: string;
  /**
   * What the read model knows of this lead. Used only if a new run starts: after namespace retention
   * deleted a closed lead's workflow (or an operator terminated and deleted it), the new run continues
   * from the stored state and sequence instead of restarting at seq 1 (whose events the projection
   * already holds and would skip).
   */
  snapshot?: LeadState;
}

/**
 * A form fill creates the lead or updates the existing one for that person (`leadId`: see
 * api/lead-identity.ts for which of the person's ids is current), atomically: update-with-
 * start either starts the workflow and delivers the form, or delivers it to the running one. The answer
 * says which, and only arrives once the form's events are recorded.
 *
 * A closed lead (won or disqualified: its workflow has completed) is never started again: its events
 * are stored and a new run would count them from seq 1 again. `REJECT_DUPLICATE` makes that a
 * `WorkflowExecutionAlreadyStartedError`, which callers report as "lead closed".
 */
export async function submitForm(
  client: Client,
  leadId: string,
  form: FillFormInput,
  policy: LeadPolicy,
  taskQueue = LEAD_TASK_QUEUE,
  options: SubmitFormOptions = {},
): Promise<FormAnswer> {
  const start = new WithStartWorkflowOperation(leadWorkflow, {
    workflowId: workflowIdForLead(leadId),
    taskQueue,
    workflowTaskTimeout: LEAD_WORKFLOW_TASK_TIMEOUT,
    args: [{ leadId, policy, ...(options.snapshot ? { snapshot: options.snapshot } : {}) }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  });
  return client.workflow.executeUpdateWithStart(submitFormUpdate, {
    args: [form],
    startWorkflowOperation: start,
    ...(options.updateId !== undefined ? { updateId: options.updateId } : {}),
  });
}
