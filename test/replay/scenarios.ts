import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import path from 'node:path';
import { loadPolicyFile } from '../../config/policy-file';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import { leadWorkflow } from '../../workflows';
import {
  acceptUpdate,
  closeUpdate,
  contactAttemptUpdate,
  engagementSignal,
  eraseUpdate,
  LEAD_TASK_QUEUE,
  leadStateQuery,
  qualifyUpdate,
  reassignUpdate,
  rejectUpdate,
  submitFormUpdate,
  unsubscribeSignal,
  type FillFormInput,
} from '../../workflows/lead.messages';
import { testLeadId } from '../support/encryption';

/** The complete sample policy of the README (two territories, business hours, decay, consent…). */
const samplePolicy = (): LeadPolicy => loadPolicyFile(path.resolve(__dirname, '../../examples/leadflow.policy.yaml'));

/**
 * Journeys whose histories are recorded under test/replay/histories and replayed in CI, so a change
 * to the workflow that would break running leads fails the build. Each one covers a path through the
 * workflow's code: timers, reassignment, hand-back, every kind of Update, recycling, continue-as-new.
 */

export type LeadHandle = WorkflowHandleWithFirstExecutionRunId<typeof leadWorkflow>;

export const handRaiserForm = (email: string): FillFormInput => ({
  formType: 'demo_request',
  profile: {
    email,
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+44 20 7946 0000',
    company: 'Analytical Engines Ltd',
    country: 'GB',
    productInterest: 'lead routing',
    seniority: 'vp',
    employeeCount: 1200,
    industry: 'software',
  },
  source: { channel: 'paid_search', campaign: 'q4-demo' },
});

export async function startLead(
  env: TestWorkflowEnvironment,
  email: string,
  policy: LeadPolicy = defaultLeadPolicy,
): Promise<LeadHandle> {
  const leadId = testLeadId(email);
  return env.client.workflow.start(leadWorkflow, {
    taskQueue: LEAD_TASK_QUEUE,
    workflowId: leadId,
    args: [{ leadId, policy }],
  });
}

export const scenarios: Record<string, (env: TestWorkflowEnvironment) => Promise<LeadHandle>> = {
  /**
   * Recorded after the lead stopped sending notifications itself (patch notifications-as-events): an
   * MQL reminded, breached and reassigned, then accepted; the public events go out through the webhook
   * dispatchers instead. Encrypted, its data key in test/replay/keys/.
   */
  async 'breached-reassigned-no-notify'(env) {
    const email = 'no-notify@replay.example';
    const h = await startLead(env, email);
    await h.executeUpdate(submitFormUpdate, { args: [handRaiserForm(email)] });
    await env.sleep('25 hours');
    const { owner } = await h.query(leadStateQuery);
    await h.executeUpdate(acceptUpdate, { args: [{ rep: owner ?? 'rep-ada' }] });
    await h.query(leadStateQuery);
    return h;
  },
  /**
   * Recorded with payload encryption on (its data key, wrapped by the test master key, is kept in
   * test/replay/keys/): a hand-raiser accepted, a contact attempt with a note, engagement, then erased
   * with its SLA timers running, which ends the workflow.
   */
  async 'encrypted-accepted-then-erased'(env) {
    const email = 'erased@replay.example';
    const h = await startLead(env, email);
    await h.executeUpdate(submitFormUpdate, { args: [handRaiserForm(email)] });
    await env.sleep('2 hours');
    const { owner } = await h.query(leadStateQuery);
    await h.executeUpdate(acceptUpdate, { args: [{ rep: owner ?? 'rep-ada' }] });
    await h.executeUpdate(contactAttemptUpdate, { args: [{ rep: owner ?? 'rep-ada', channel: 'phone', outcome: 'no_answer', note: 'Called Ada' }] });
    await h.signal(engagementSignal, { engagements: [{ type: 'pricing_page_view', occurredAt: '2026-12-02T10:00:00.000Z', id: 'erased-1' }] });
    await env.sleep('1 hour');
    await h.executeUpdate(eraseUpdate, { args: [{ requestedBy: 'privacy-officer' }] });
    await h.result();
    return h;
  },
  /**
   * Reassigned by hand (a manager, issue 16): an MQL given to another rep at 2 h, whose own window then
   * breaches and is routed on; the next owner accepts with a rep-bound key (`actingRep`), and the SAL is
   * given to a third rep. Encrypted, its data key in test/replay/keys/.
   */
  async 'reassigned-by-manager'(env) {
    const email = 'reassigned@replay.example';
    const h = await startLead(env, email);
    await h.executeUpdate(submitFormUpdate, { args: [handRaiserForm(email)] });
    await env.sleep('2 hours');
    const reps = defaultLeadPolicy.routing.reps.map((r) => r.id);
    const first = (await h.query(leadStateQuery)).owner;
    const second = reps.find((r) => r !== first)!;
    await h.executeUpdate(reassignUpdate, { args: [{ owner: second, by: 'manager-margaret', reason: 'first owner on leave' }] });
    await env.sleep('25 hours');
    const { owner } = await h.query(leadStateQuery);
    const accepting = owner ?? second;
    await h.executeUpdate(acceptUpdate, { args: [{ rep: accepting, actingRep: accepting }] });
    await h.executeUpdate(reassignUpdate, { args: [{ owner: reps.find((r) => r !== accepting)!, by: 'manager-margaret' }] });
    await env.sleep('1 hour');
    await h.query(leadStateQuery);
    return h;
  },
  /** Reminder at 18 h, breach and reassignment at 24 h, hand-back to marketing at 48 h. */
  async 'mql-sla-expired'(env) {
    const h = await startLead(env, 'sla-expired@replay.example');
    await h.executeUpdate(submitFormUpdate, { args: [handRaiserForm('sla-expired@replay.example')] });
    await env.sleep('49 hours');
    await h.query(leadStateQuery);
    return h;
  },
  /** Accepted at 23 h (cancelling the MQL timers), then the SAL window breaches and hands back. */
  async 'accepted-then-sal-expired'(env) {
    const h = await startLead(env, 'sal-expired@replay.example');
    await h.executeUpdate(submitFormUpdate, { args: [handRaiserForm('sal-expired@replay.example')] });
    await env.sleep('23 hours');
    const { owner } = await h.query(leadStateQuery);
    await h.executeUpdate(acceptUpdate, { args: [{ rep: owner ?? 'rep-ada' }] });
    await env.sleep('11 days');
    await h.query(leadStateQuery);
    return h;
  },
  /** Inquiry, engagement to MQL, accept, qualify, won: the workflow completes. */
  async 'journey-won'(env) {
    const email = 'won@replay.example';
    const h = await startLead(env, email);
    await h.executeUpdate(submitFormUpdate, { args: [{ ...handRaiserForm(email), formType: 'content_download' }] });
    const at = new Date().toISOString();
    await h.signal(engagementSignal, {
      engagements: [
        { type: 'pricing_page_view', occurredAt: at, id: 'e1' },
        { type: 'webinar_attended', occurredAt: at, id: 'e2' },
      ],
    });
    await env.sleep('1 hour');
    await h.executeUpdate(acceptUpdate, { args: [{ rep: 'rep-grace' }] });
    await h.executeUpdate(qualifyUpdate, {
      args: [{ rep: 'rep-grace', budget: true, authority: true, need: true, timeline: true }],
    });
    await h.executeUpdate(closeUpdate, { args: [{ rep: 'rep-grace', outcome: 'won' }] });
    await h.result();
    return h;
  },
  /** Rejected for bad contact data (recycled), re-qualifies after the cool-off, then is disqualified. */
  async 'recycled-requalified-disqualified'(env) {
    const email = 'recycled@replay.example';
    const h = await startLead(env, email);
    await h.executeUpdate(submitFormUpdate, { args: [handRaiserForm(email)] });
    await h.executeUpdate(rejectUpdate, { args: [{ rep: 'rep-ada', reason: 'bad_contact_data', note: 'phone dead' }] });
    await env.sleep('31 days');
    await h.executeUpdate(submitFormUpdate, {
      args: [{ ...handRaiserForm(email), profile: { ...handRaiserForm(email).profile, phone: '+44 20 7946 0999' } }],
    });
    await h.executeUpdate(rejectUpdate, { args: [{ rep: 'rep-linus', reason: 'competitor' }] });
    await h.result();
    return h;
  },
  /** Enough engagement to continue-as-new twice under a small history cap. */
  async 'continue-as-new'(env) {
    const email = 'busy@replay.example';
    const h = await startLead(env, email, { ...defaultLeadPolicy, maxHistoryEvents: 200 });
    await h.executeUpdate(submitFormUpdate, { args: [{ ...handRaiserForm(email), formType: 'newsletter' }] });
    for (let i = 0; i < 300; i++) {
      await h.signal(engagementSignal, {
        engagements: [{ type: i % 2 ? 'page_view' : 'email_open', occurredAt: new Date().toISOString(), id: `p${i}` }],
      });
    }
    await env.sleep('1 minute');
    await h.query(leadStateQuery);
    return h;
  },
  /**
   * The sample policy: consent, business-hours MQL window with two reminders, breach and reassignment,
   * accept, three contact attempts, not_ready recycle (policy taken afresh), unsubscribe (nurture
   * timer cancelled).
   */
  async 'policy-sample-team'(env) {
    const email = 'sample-team@replay.example';
    const h = await startLead(env, email, samplePolicy());
    const consent = { lawfulBasis: 'consent', capturedAt: new Date().toISOString(), text: 'Yes, contact me.' };
    await h.executeUpdate(submitFormUpdate, {
      args: [{ ...handRaiserForm(email), profile: { ...handRaiserForm(email).profile, country: 'DE' }, consent }],
    });
    // Recorded on a Sunday evening: the window opens Monday 09:00 Berlin, breaches at 17:00 and the
    // lead is reassigned; a day later the second owner holds it.
    await env.sleep('1 day');
    const { owner } = await h.query(leadStateQuery);
    await h.executeUpdate(acceptUpdate, { args: [{ rep: owner ?? 'rep-ada' }] });
    for (const channel of ['phone', 'email', 'phone'] as const) {
      await h.executeUpdate(contactAttemptUpdate, { args: [{ rep: owner ?? 'rep-ada', channel, outcome: 'no_answer' }] });
    }
    await h.executeUpdate(rejectUpdate, { args: [{ rep: owner ?? 'rep-ada', reason: 'not_ready' }] });
    await h.signal(unsubscribeSignal);
    await env.sleep('1 hour');
    await h.query(leadStateQuery);
    return h;
  },
  /** The sample policy's engagement decay: a lead that stops engaging fades day by day. */
  async 'policy-decay-and-suspect'(env) {
    const email = 'decay@replay.example';
    const h = await startLead(env, email, samplePolicy());
    await h.executeUpdate(submitFormUpdate, { args: [{ ...handRaiserForm(email), formType: 'webinar_attended' }] });
    const at = new Date().toISOString();
    await h.signal(engagementSignal, {
      engagements: [
        { type: 'pricing_page_view', occurredAt: at, id: 'd1' },
        { type: 'content_download', occurredAt: at, id: 'd2' },
      ],
    });
    await env.sleep('3 days');
    const student = 'student@replay.example';
    const s = await startLead(env, student, samplePolicy());
    await s.executeUpdate(submitFormUpdate, {
      args: [{ ...handRaiserForm(student), formType: 'contact_sales', profile: { ...handRaiserForm(student).profile, jobTitle: 'Student', seniority: 'student', employeeCount: 5, industry: 'education' } }],
    });
    await h.query(leadStateQuery);
    return h;
  },
  /**
   * Exact decay (the unrounded score carried from tick to tick) over ten daily ticks, then a demo
   * request that makes the lead an MQL and routes it.
   */
  async 'policy-exact-decay-then-mql'(env) {
    const email = 'exact-decay@replay.example';
    const h = await startLead(env, email, samplePolicy());
    await h.executeUpdate(submitFormUpdate, { args: [{ ...handRaiserForm(email), formType: 'webinar_attended' }] });
    const at = new Date().toISOString();
    await h.signal(engagementSignal, {
      engagements: [
        { type: 'pricing_page_view', occurredAt: at, id: 'x1' },
        { type: 'content_download', occurredAt: at, id: 'x2' },
      ],
    });
    await env.sleep('10 days');
    const consent = { lawfulBasis: 'consent', capturedAt: new Date().toISOString(), text: 'Yes, contact me.' };
    await h.executeUpdate(submitFormUpdate, { args: [{ ...handRaiserForm(email), consent }] });
    await env.sleep('1 hour');
    await h.query(leadStateQuery);
    return h;
  },
};
