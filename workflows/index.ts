// Entry point of the workflow bundle: only workflow functions are exported from here.
export { leadWorkflow } from './lead.workflow';
export { leadErasureWorkflow } from './lead-erasure.workflow';
export { webhookDispatcherWorkflow } from './webhook-dispatcher.workflow';
