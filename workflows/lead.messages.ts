import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LeadNotification } from '../activities';
import type {
  AcceptLead,
  CloseLead,
  DisqualifyLead,
  EngagementInput,
  EraseLead,
  FillForm,
  QualifyLead,
  ReassignLead,
  RecordContactAttempt,
  RejectLead,
} from '../domain/lead-commands';
import type { CommandRefusal } from '../domain/lead-decider';
import type { LeadStage } from '../domain/lead-events';
import type { LeadPolicy, LeadPolicyInput } from '../domain/lead-policy';
import type { LeadState } from '../domain/lead-state';

/**
 * The lead workflow's public contract. Names are stable strings: renaming one breaks running
 * workflows and every client, so add new messages instead of renaming old ones.
 */

export const LEAD_TASK_QUEUE = 'leads';
export const LEAD_WORKFLOW_TYPE = 'leadWorkflow';
/**
 * How long one workflow task of a lead may run before Temporal gives it to another attempt (the SDK's
 * default is 10 s). A lead flooded with signals faster than it can continue-as-new has a long run to
 * replay and a large activation to process: on a loaded worker that took 13-16 s, so every attempt
 * expired and was retried from scratch, and the lead never caught up. A longer bound lets the task
 * finish; it only delays the retry of a task whose worker died mid-task.
 */
export const LEAD_WORKFLOW_TASK_TIMEOUT = '1 minute';

export interface LeadWorkflowInput {
  leadId: string;
  /** The policy of the lead's current cycle (older histories carry it in the older, shorter form). */
  policy: LeadPolicy | LeadPolicyInput;
  /** State carried over continue-as-new (absent on the first run). */
  snapshot?: LeadState;
  /** Engagement signals received but not yet processed when the previous run continued-as-new. */
  pendingEngagements?: EngagementInput[];
  /** Unsubscribe received but not yet processed when the previous run continued-as-new. */
  pendingUnsubscribe?: boolean;
  /** Notifications the previous run had not delivered yet; this run sends them again. */
  pendingNotifications?: LeadNotification[];
}

export type Without<T, K extends keyof T> = Omit<T, K>;
export type FillFormInput = Without<FillForm, 'type'>;
export type AcceptInput = Without<AcceptLead, 'type'>;
export type RejectInput = Without<RejectLead, 'type'>;
export type QualifyInput = Without<QualifyLead, 'type'>;
export type CloseInput = Without<CloseLead, 'type'>;
export type DisqualifyInput = Without<DisqualifyLead, 'type'>;
export type ContactAttemptInput = Without<RecordContactAttempt, 'type'>;
export type EraseInput = Without<EraseLead, 'type'>;
export type ReassignInput = Without<ReassignLead, 'type'>;

/** The erase Update's answer: the lead recorded LeadErased (at `seq`) and its workflow is ending. */
export interface ErasedAnswer {
  leadId: string;
  erasedAt: string;
  /** The LeadErased event's seq. */
  seq: number;
}

export interface FormAnswer {
  leadId: string;
  /** True when this form fill captured the lead (it did not exist before). */
  created: boolean;
  stage: LeadStage;
}

/** Failure type carried by a refused command (ApplicationFailure.type); details[0] is the refusal. */
export const COMMAND_REFUSED = 'CommandRefused';
/** Failure type for a command whose payload does not match its schema; details[0] lists the issues. */
export const INVALID_COMMAND = 'InvalidCommand';
export type { CommandRefusal };

export const submitFormUpdate = defineUpdate<FormAnswer, [FillFormInput]>('submitForm');
export const acceptUpdate = defineUpdate<LeadState, [AcceptInput]>('accept');
export const rejectUpdate = defineUpdate<LeadState, [RejectInput]>('reject');
export const qualifyUpdate = defineUpdate<LeadState, [QualifyInput]>('qualify');
export const closeUpdate = defineUpdate<LeadState, [CloseInput]>('close');
export const disqualifyUpdate = defineUpdate<LeadState, [DisqualifyInput]>('disqualify');
export const contactAttemptUpdate = defineUpdate<LeadState, [ContactAttemptInput]>('recordContactAttempt');
/**
 * A manager gives an MQL or a SAL to another rep by hand (POST /v1/leads/{id}/assign): recorded as
 * LeadAssigned with `by`, with a fresh SLA window for the new owner. Added after the first release: a
 * new handler only, so no recorded history changes.
 */
export const reassignUpdate = defineUpdate<LeadState, [ReassignInput]>('reassign');
/**
 * Erase the person (sent by the erasure workflow, never by sales): the lead records LeadErased, drops
 * what it still had to do (timers, queued engagement, undelivered notifications) and its workflow ends.
 */
export const eraseUpdate = defineUpdate<ErasedAnswer, [EraseInput]>('erase');

/** High volume and fire-and-forget: one signal may carry a batch. */
export const engagementSignal = defineSignal<[{ engagements: EngagementInput[] }]>('recordEngagement');
export const unsubscribeSignal = defineSignal<[]>('unsubscribe');

export const leadStateQuery = defineQuery<LeadState>('leadState');
