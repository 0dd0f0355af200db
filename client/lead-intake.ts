import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { LeadPolicy } from '../domain/lead-policy';
import { leadWorkflow } from '../workflows';
import { LEAD_TASK_QUEUE, submitFormUpdate, type FillFormInput, type FormAnswer } from '../workflows/lead.messages';
import { leadIdForEmail, workflowIdForLead } from './lead-id';

/**
 * A form fill creates the lead or updates the existing one for that person, atomically: update-with-
 * start either starts the workflow and delivers the form, or delivers it to the running one. The answer
 * says which, and only arrives once the form's events are recorded.
 */
export async function submitForm(
  client: Client,
  form: FillFormInput,
  policy: LeadPolicy,
  taskQueue = LEAD_TASK_QUEUE,
): Promise<FormAnswer> {
  const leadId = leadIdForEmail(form.profile.email);
  const start = new WithStartWorkflowOperation(leadWorkflow, {
    workflowId: workflowIdForLead(leadId),
    taskQueue,
    args: [{ leadId, policy }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return client.workflow.executeUpdateWithStart(submitFormUpdate, { args: [form], startWorkflowOperation: start });
}
