import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EngagementInput } from '../../domain/lead-commands';
import { rejectDestination } from '../../domain/lead-decider';
import { rejectReasons, type RejectReason } from '../../domain/lead-events';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import type { LeadState } from '../../domain/lead-state';
import {
  acceptUpdate,
  closeUpdate,
  COMMAND_REFUSED,
  engagementSignal,
  INVALID_COMMAND,
  qualifyUpdate,
  rejectUpdate,
  submitFormUpdate,
} from '../../workflows/lead.messages';
import {
  acceptedUpdateNames,
  captureLead,
  contentDownloadForm,
  DAY,
  demoRequestForm,
  EventType,
  eventsOf,
  eventTypes,
  historyEvents,
  kindsAndRecipients,
  type LeadHandle,
  leadState,
  MINUTE,
  sleepUntil,
  startLead,
  terminateIfRunning,
  uniqueEmail,
  waitFor,
  waitForState,
  workflowStatus,
} from '../support/lead-workflow-helpers';
import { createTestWorker, createTimeSkippingEnv, type Recorder, workflowBundle } from '../support/temporal-env';

/*
 * Whole lead journeys through the workflow on the time-skipping test server, with the default policy:
 * inquiry → MQL → SAL → SQL → won, every rejection's destination, recycling and re-qualification after
 * the real 30-day cool-off, refused commands (which must never reach the history) and engagement dedup.
 */

const policy = defaultLeadPolicy;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  await workflowBundle();
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

let engagementSeq = 0;
function engagement(type: string, id = `eng-${++engagementSeq}`): EngagementInput {
  return { type, occurredAt: new Date().toISOString(), id };
}

/** Sends one engagement signal and waits until the workflow has recorded it (its id is in the state). */
async function engage(handle: LeadHandle, e: EngagementInput): Promise<LeadState> {
  await handle.signal(engagementSignal, { engagements: [e] });
  return waitForState(handle, (s) => s.recentEngagementIds.includes(e.id!), `engagement ${e.id}`);
}

/** A hand-raiser MQL with its first owner assigned. */
async function mqlWithOwner(label: string) {
  const email = uniqueEmail(label);
  const { leadId, handle, answer } = await captureLead(env, email, demoRequestForm(email));
  expect(answer.stage).toBe('mql');
  const state = await waitForState(handle, (s) => s.owner !== undefined, 'first owner');
  return { email, leadId, handle, owner: state.owner! };
}

/** Runs the update and returns the error it fails with (the test fails if it succeeds). */
async function updateError(run: () => Promise<unknown>): Promise<WorkflowUpdateFailedError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return err as WorkflowUpdateFailedError;
  }
  throw new Error('the update was expected to fail');
}

function applicationFailure(err: WorkflowUpdateFailedError): ApplicationFailure {
  expect(err.cause).toBeInstanceOf(ApplicationFailure);
  return err.cause as ApplicationFailure;
}

async function runWorker(test: (recorder: Recorder) => Promise<void>): Promise<void> {
  const { worker, recorder } = await createTestWorker(env);
  await worker.runUntil(() => test(recorder));
}

describe('lead journeys (time-skipping, default policy)', () => {
  test('inquiry → engagement → MQL → accept → qualify → won: every stage reached and the workflow completes', async () => {
    await runWorker(async (recorder) => {
      const email = uniqueEmail('journey-won');
      const { leadId, handle, answer } = await captureLead(env, email, contentDownloadForm(email));
      expect(answer).toEqual({ leadId, created: true, stage: 'inquiry' });
      let state = await leadState(handle);
      expect(state).toMatchObject({ stage: 'inquiry', fitScore: 70, engagementScore: 8 });

      // 8 (ebook) + 10 + 10 = 28 is still below the threshold of 30; the third pricing view makes the MQL.
      state = await engage(handle, engagement('pricing_page_view'));
      expect(state).toMatchObject({ stage: 'inquiry', engagementScore: 18 });
      state = await engage(handle, engagement('pricing_page_view'));
      expect(state).toMatchObject({ stage: 'inquiry', engagementScore: 28 });
      state = await engage(handle, engagement('pricing_page_view'));
      expect(state).toMatchObject({ stage: 'mql', engagementScore: 38, mqlCycle: 1 });
      expect(eventsOf(recorder, leadId, 'LeadBecameMql')[0]!.data).toMatchObject({
        via: 'score',
        fitScore: 70,
        engagementScore: 38,
        mqlCycle: 1,
        policyVersion: policy.version,
      });
      const { owner } = await waitForState(handle, (s) => s.owner !== undefined, 'owner of the MQL');

      const sal = await handle.executeUpdate(acceptUpdate, { args: [{ rep: owner! }] });
      expect(sal).toMatchObject({ stage: 'sal', owner, sla: { kind: 'sal' } });
      const sql = await handle.executeUpdate(qualifyUpdate, {
        args: [{ rep: owner!, budget: true, authority: true, need: true, timeline: true, note: 'budget approved' }],
      });
      expect(sql).toMatchObject({ stage: 'sql', opportunityId: `${leadId}-opp-1` });
      expect(sql.sla).toBeUndefined();
      const won = await handle.executeUpdate(closeUpdate, { args: [{ rep: owner!, outcome: 'won' }] });
      expect(won).toMatchObject({ stage: 'won', closed: { outcome: 'won', by: owner } });

      const final = await handle.result();
      expect(final).toEqual(won);
      expect(Object.keys(final.firstReachedAt).sort()).toEqual(['inquiry', 'mql', 'sal', 'sql', 'won'].sort());
      const reached = ['inquiry', 'mql', 'sal', 'sql', 'won'].map((s) => Date.parse(final.firstReachedAt[s as 'won']!));
      expect([...reached].sort((a, b) => a - b)).toEqual(reached);
      expect(await workflowStatus(handle)).toBe('COMPLETED');
      expect(eventTypes(recorder, leadId)).toEqual([
        'LeadCaptured',
        'FormFilled',
        'EngagementRecorded',
        'EngagementRecorded',
        'EngagementRecorded',
        'LeadBecameMql',
        'LeadAssigned',
        'LeadAccepted',
        'LeadQualified',
        'LeadWon',
      ]);
      expect(eventsOf(recorder, leadId, 'LeadQualified')[0]!.data).toEqual({
        rep: owner,
        bant: { budget: true, authority: true, need: true, timeline: true },
        note: 'budget approved',
        opportunityId: `${leadId}-opp-1`,
      });
      expect(recorder.events(leadId).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 1, 'assignment notification');
      expect(kindsAndRecipients(recorder, leadId)).toEqual([['lead_assigned', owner]]);
    });
  });

  describe.each(rejectReasons.map((r) => [r, rejectDestination[r]] as const))(
    'reject with reason %s',
    (reason: RejectReason, destination) => {
      test(`sends the lead to ${destination}`, async () => {
        await runWorker(async (recorder) => {
          const { leadId, handle, owner } = await mqlWithOwner(`reject-${reason.replace(/_/g, '-')}`);
          const after = await handle.executeUpdate(rejectUpdate, { args: [{ rep: owner, reason, note: `why: ${reason}` }] });
          expect(eventsOf(recorder, leadId, 'LeadRejected')[0]!.data).toEqual({ rep: owner, reason, note: `why: ${reason}` });
          expect(after.stage).toBe(destination);
          expect(after.sla).toBeUndefined();

          if (destination === 'recycled') {
            expect(after.owner).toBeUndefined();
            const [recycled] = eventsOf(recorder, leadId, 'LeadRecycled');
            expect(recycled!.data).toEqual({
              reason,
              from: 'mql',
              by: owner,
              needsDataRepair: reason === 'bad_contact_data',
              coolOffUntil: new Date(Date.parse(recycled!.occurredAt) + policy.recycleCoolOffDays * DAY).toISOString(),
            });
            expect(after).toMatchObject({
              recycleCount: 1,
              engagementScore: 0,
              recycle: { reason, needsDataRepair: reason === 'bad_contact_data' },
            });
            expect(after.closed).toBeUndefined();
            expect(await workflowStatus(handle)).toBe('RUNNING');
            expect(eventTypes(recorder, leadId).slice(-2)).toEqual(['LeadRejected', 'LeadRecycled']);
            await terminateIfRunning(handle);
          } else {
            expect(eventsOf(recorder, leadId, 'LeadDisqualified')[0]!.data).toEqual({ by: owner, reason, from: 'mql' });
            // A closed lead keeps its last owner (as a won lead does); the SLA is gone.
            expect(after.closed).toMatchObject({ outcome: 'disqualified', reason, by: owner });
            expect(after.recycleCount).toBe(0);
            const final = await handle.result();
            expect(final).toEqual(after);
            expect(await workflowStatus(handle)).toBe('COMPLETED');
            expect(eventTypes(recorder, leadId).slice(-2)).toEqual(['LeadRejected', 'LeadDisqualified']);
          }
        });
      });
    },
  );

  test('qualifying with a BANT gap recycles the lead and names the gaps', async () => {
    await runWorker(async (recorder) => {
      const { leadId, handle, owner } = await mqlWithOwner('bant-gap');
      await handle.executeUpdate(acceptUpdate, { args: [{ rep: owner }] });
      const after = await handle.executeUpdate(qualifyUpdate, {
        args: [{ rep: owner, budget: true, authority: false, need: true, timeline: false }],
      });
      expect(after).toMatchObject({
        stage: 'recycled',
        recycleCount: 1,
        recycle: { reason: 'bant_gaps', bantGaps: ['authority', 'timeline'], needsDataRepair: false },
      });
      expect(after.sla).toBeUndefined();
      expect(after.owner).toBeUndefined();
      expect(after.firstReachedAt.sql).toBeUndefined();
      expect(eventsOf(recorder, leadId, 'LeadRecycled')[0]!.data).toMatchObject({
        reason: 'bant_gaps',
        from: 'sal',
        by: owner,
        bantGaps: ['authority', 'timeline'],
      });
      expect(eventsOf(recorder, leadId, 'LeadQualified')).toHaveLength(0);
      expect(await workflowStatus(handle)).toBe('RUNNING');
      await terminateIfRunning(handle);
    });
  });

  test('a deal lost "not_now" recycles the lead; lost for any other reason disqualifies it and completes the workflow', async () => {
    await runWorker(async (recorder) => {
      const toSql = async (label: string) => {
        const lead = await mqlWithOwner(label);
        await lead.handle.executeUpdate(acceptUpdate, { args: [{ rep: lead.owner }] });
        await lead.handle.executeUpdate(qualifyUpdate, {
          args: [{ rep: lead.owner, budget: true, authority: true, need: true, timeline: true }],
        });
        return lead;
      };

      const notNow = await toSql('lost-not-now');
      const recycled = await notNow.handle.executeUpdate(closeUpdate, {
        args: [{ rep: notNow.owner, outcome: 'lost', reason: 'not_now' }],
      });
      expect(recycled).toMatchObject({ stage: 'recycled', recycleCount: 1, recycle: { reason: 'not_now' } });
      expect(recycled.closed).toBeUndefined();
      expect(eventTypes(recorder, notNow.leadId).slice(-2)).toEqual(['LeadLost', 'LeadRecycled']);
      expect(eventsOf(recorder, notNow.leadId, 'LeadLost')[0]!.data).toEqual({ rep: notNow.owner, reason: 'not_now' });
      expect(eventsOf(recorder, notNow.leadId, 'LeadRecycled')[0]!.data).toMatchObject({
        reason: 'not_now',
        from: 'sql',
        by: notNow.owner,
      });
      expect(await workflowStatus(notNow.handle)).toBe('RUNNING');
      await terminateIfRunning(notNow.handle);

      const other = await toSql('lost-other');
      const disqualified = await other.handle.executeUpdate(closeUpdate, {
        args: [{ rep: other.owner, outcome: 'lost', reason: 'chose_competitor' }],
      });
      expect(disqualified).toMatchObject({
        stage: 'disqualified',
        closed: { outcome: 'disqualified', reason: 'chose_competitor', by: other.owner },
      });
      expect(eventTypes(recorder, other.leadId).slice(-2)).toEqual(['LeadLost', 'LeadDisqualified']);
      expect(eventsOf(recorder, other.leadId, 'LeadDisqualified')[0]!.data).toEqual({
        by: other.owner,
        reason: 'chose_competitor',
        from: 'sql',
      });
      expect(await other.handle.result()).toEqual(disqualified);
      expect(await workflowStatus(other.handle)).toBe('COMPLETED');
    });
  });

  test('a recycled lead ignores interest during the 30-day cool-off and becomes an MQL again (cycle 2) after it', async () => {
    await runWorker(async (recorder) => {
      const { email, leadId, handle, owner } = await mqlWithOwner('cool-off');
      const recycled = await handle.executeUpdate(rejectUpdate, { args: [{ rep: owner, reason: 'not_ready' }] });
      expect(recycled).toMatchObject({ stage: 'recycled', recycleCount: 1, engagementScore: 0, mqlCycle: 1 });
      const coolOffUntil = Date.parse(recycled.recycle!.coolOffUntil);
      expect(coolOffUntil - Date.parse(recycled.recycle!.at)).toBe(30 * DAY);

      // Day 10 of the cool-off: engagement is recorded (10 points, below the threshold) but changes no stage.
      await sleepUntil(env, Date.parse(recycled.recycle!.at) + 10 * DAY, handle);
      let state = await engage(handle, engagement('pricing_page_view'));
      expect(state).toMatchObject({ stage: 'recycled', engagementScore: 10, mqlCycle: 1 });

      // The cool-off ends: the lead is re-evaluated, but 10 points are not an MQL.
      await sleepUntil(env, coolOffUntil + MINUTE, handle);
      state = await leadState(handle);
      expect(state).toMatchObject({ stage: 'recycled', engagementScore: 10, mqlCycle: 1 });
      expect(eventsOf(recorder, leadId, 'LeadBecameMql')).toHaveLength(1);

      // Fresh interest after the cool-off: a demo request makes it an MQL of the second cycle.
      const answer = await handle.executeUpdate(submitFormUpdate, { args: [demoRequestForm(email)] });
      expect(answer).toEqual({ leadId, created: false, stage: 'mql' });
      state = await waitForState(handle, (s) => s.owner !== undefined, 'owner of the second MQL cycle');
      expect(state).toMatchObject({ stage: 'mql', mqlCycle: 2, recycleCount: 1, sla: { kind: 'mql' } });
      expect(state.firstReachedAt.mql).toBe(recycled.firstReachedAt.mql);
      expect(eventsOf(recorder, leadId, 'LeadBecameMql').map((e) => e.data.mqlCycle)).toEqual([1, 2]);
      expect(eventsOf(recorder, leadId, 'LeadBecameMql')[1]!.data.via).toBe('hand_raiser');
      expect(eventsOf(recorder, leadId, 'LeadAssigned').at(-1)!.data).toMatchObject({ slaKind: 'mql', assignment: 1 });
      await terminateIfRunning(handle);
    });
  });

  test('a hand-raise during the cool-off waits for it, and the end of the cool-off alone makes the MQL (and assigns it)', async () => {
    await runWorker(async (recorder) => {
      const { email, leadId, handle, owner } = await mqlWithOwner('cool-off-timer');
      const recycled = await handle.executeUpdate(rejectUpdate, { args: [{ rep: owner, reason: 'bad_timing' }] });
      const coolOffUntil = Date.parse(recycled.recycle!.coolOffUntil);

      await sleepUntil(env, coolOffUntil - DAY, handle);
      const answer = await handle.executeUpdate(submitFormUpdate, { args: [demoRequestForm(email)] });
      expect(answer).toEqual({ leadId, created: false, stage: 'recycled' });
      let state = await leadState(handle);
      expect(state.handRaisedAt).toBeDefined();
      expect(state.mqlCycle).toBe(1);

      await sleepUntil(env, coolOffUntil, handle);
      state = await waitForState(handle, (s) => s.stage === 'mql' && s.owner !== undefined, 'MQL at cool-off end');
      expect(state).toMatchObject({ mqlCycle: 2, recycleCount: 1, sla: { kind: 'mql' } });
      const second = eventsOf(recorder, leadId, 'LeadBecameMql')[1]!;
      expect(second.data).toMatchObject({ via: 'hand_raiser', mqlCycle: 2 });
      expect(Date.parse(second.occurredAt)).toBeGreaterThanOrEqual(coolOffUntil);
      expect(Date.parse(second.occurredAt) - coolOffUntil).toBeLessThan(MINUTE);
      expect(eventTypes(recorder, leadId).slice(-2)).toEqual(['LeadBecameMql', 'LeadAssigned']);
      await terminateIfRunning(handle);
    });
  });

  test('refused and malformed commands fail the Update and never reach the workflow history', async () => {
    await runWorker(async (recorder) => {
      const email = uniqueEmail('refused');
      const { leadId, handle } = await captureLead(env, email, contentDownloadForm(email));
      const before = await leadState(handle);
      expect(before.stage).toBe('inquiry');

      // A decision the stage does not allow.
      const refused = applicationFailure(
        await updateError(() => handle.executeUpdate(acceptUpdate, { args: [{ rep: 'rep-ada' }] })),
      );
      expect(refused.type).toBe(COMMAND_REFUSED);
      expect(refused.nonRetryable).toBe(true);
      expect(refused.details?.[0]).toEqual({
        code: 'STAGE_DOES_NOT_ALLOW',
        command: 'AcceptLead',
        stage: 'inquiry',
        allowed: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'DisqualifyLead'],
        message: "AcceptLead is not allowed while the lead is in stage 'inquiry'",
      });

      // A payload that does not match the command's schema (unknown reject reason).
      const invalid = applicationFailure(
        await updateError(() =>
          handle.executeUpdate(rejectUpdate, { args: [{ rep: 'rep-ada', reason: 'too_expensive' as RejectReason }] }),
        ),
      );
      expect(invalid.type).toBe(INVALID_COMMAND);
      const issues = invalid.details?.[0] as { path: unknown[] }[];
      expect(Array.isArray(issues)).toBe(true);
      expect(issues.map((i) => i.path)).toContainEqual(['reason']);

      // A lost deal without a reason is malformed too.
      const noReason = applicationFailure(
        await updateError(() => handle.executeUpdate(closeUpdate, { args: [{ rep: 'rep-ada', outcome: 'lost' }] })),
      );
      expect(noReason.type).toBe(INVALID_COMMAND);

      // An Update name the workflow does not know.
      const unknown = await updateError(() => handle.executeUpdate('promoteToCustomer', { args: [{ rep: 'rep-ada' }] }));
      expect(applicationFailure(unknown).message).toContain('promoteToCustomer');

      // Nothing changed, nothing was recorded, and only the one successful Update is in the history.
      expect(await leadState(handle)).toEqual(before);
      expect(eventTypes(recorder, leadId)).toEqual(['LeadCaptured', 'FormFilled']);
      expect(await acceptedUpdateNames(handle)).toEqual(['submitForm']);
      const history = await historyEvents(handle);
      const completed = history.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
      expect(completed).toHaveLength(1);

      // A lead that was started but never captured refuses everything but a form.
      const ghost = await startLead(env, uniqueEmail('ghost'));
      const notFound = applicationFailure(
        await updateError(() => ghost.handle.executeUpdate(acceptUpdate, { args: [{ rep: 'rep-ada' }] })),
      );
      expect(notFound.type).toBe(COMMAND_REFUSED);
      expect(notFound.details?.[0]).toMatchObject({ code: 'LEAD_NOT_FOUND', stage: 'inquiry', allowed: ['FillForm'] });
      expect(await acceptedUpdateNames(ghost.handle)).toEqual([]);
      expect(recorder.events(ghost.leadId)).toEqual([]);

      await terminateIfRunning(handle);
      await terminateIfRunning(ghost.handle);
    });
  });

  test('engagement is deduplicated by id, across signals and within one signal', async () => {
    await runWorker(async (recorder) => {
      const email = uniqueEmail('dedup');
      const { leadId, handle } = await captureLead(env, email, contentDownloadForm(email));

      let state = await engage(handle, engagement('pricing_page_view', 'dup-1'));
      expect(state.engagementScore).toBe(18);
      // Re-delivery of the same id in a later signal, then twice in one signal, then a new id as a marker.
      await handle.signal(engagementSignal, { engagements: [engagement('pricing_page_view', 'dup-1')] });
      await handle.signal(engagementSignal, {
        engagements: [engagement('email_click', 'dup-2'), engagement('email_click', 'dup-2')],
      });
      state = await engage(handle, engagement('page_view', 'marker'));

      expect(state).toMatchObject({
        stage: 'inquiry',
        engagementScore: 8 + 10 + 3 + 1,
        engagementByType: { content_download: 8, pricing_page_view: 10, email_click: 3, page_view: 1 },
        recentEngagementIds: ['dup-1', 'dup-2', 'marker'],
      });
      expect(eventsOf(recorder, leadId, 'EngagementRecorded').map((e) => [e.data.engagementId, e.data.points])).toEqual([
        ['dup-1', 10],
        ['dup-2', 3],
        ['marker', 1],
      ]);
      await terminateIfRunning(handle);
    });
  });
});
