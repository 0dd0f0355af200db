import { sql } from 'kysely';
import { dispatcherWorkflowId } from '../../client/webhook-dispatcher';
import { domainEventOf, type PublicEventType } from '../../domain/public-events';
import type { BenchContext } from '../lib/context';
import { deliverySpans } from '../lib/dispatcher-history';
import { sleep } from '../lib/load';
import { OutboxVisibilityWatcher } from '../lib/outbox-visibility';
import { round, summarize } from '../lib/stats';
import { WebhookReceiver } from '../lib/webhook-receiver';

/** What a form fill that makes an MQL publishes: the intake scenario's events, and only those. */
export const DELIVERY_EVENT_TYPES: readonly PublicEventType[] = ['lead.captured', 'lead.mql', 'lead.assigned'];

/** A receiver and its endpoint, created before the intake scenario so deliveries run while intake does. */
export interface DeliveryProbe {
  receiver: WebhookReceiver;
  endpointId: string;
  watcher: OutboxVisibilityWatcher;
  startedAt: number;
}

/** How often the bench looks at what the outbox lets readers see (its resolution for "visible"). */
const VISIBILITY_POLL_MS = 100;

export interface LagFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface DeliveryFigures {
  /** Events of the subscribed types recorded for these leads (`lead_events` rows). */
  recorded: number;
  /** Of those, received by the receiver (first delivery of each, verified). */
  delivered: number;
  /** recorded_at → the receiver answered 204. */
  lag: LagFigures;
  /**
   * recorded_at → the bench's watcher first saw the row pass the outbox's visibility rule (at most
   * 100 ms late): the recording transaction's own time to commit, then every older transaction on the
   * server ending.
   */
  untilVisible: LagFigures;
  /**
   * Visible → the attempt that delivered began (webhook_deliveries.attempted_at): the dispatcher's idle
   * poll (250 ms), reading and folding the page, waiting behind earlier events, its hand-backs.
   */
  visibleToAttempt: LagFigures;
  /** That attempt's start → the receiver answered: signing, the POST, the receiver verifying. */
  attempt: LagFigures;
}

export interface HandBacks {
  /** `deliverPending` activities that ran during the measurement. */
  activities: number;
  /** How long each ran (it hands back after 5 s of long-polling, or 500 events). */
  runMs: LagFigures;
  /** Gaps between one activity's end and the next one's start: nothing is delivered then. */
  gapMs: LagFigures;
  /** The gaps' share of the time from the endpoint's creation to the measurement. */
  share: number;
  /** Delivered events that became visible before a gap and were sent after it, and their lag. */
  waitedThroughGap: { events: number; lag: LagFigures };
  /** The other delivered events (visible and sent within one activity). */
  withinActivity: { events: number; lag: LagFigures };
}

/**
 * Where "visible → attempt began" goes. The dispatcher sends in bursts: it reads a page of up to 50
 * events, sends them one at a time, reads again, and sleeps 250 ms when a read finds nothing. A burst
 * here is a run of attempts less than `BURST_GAP_MS` apart.
 */
export interface Queueing {
  bursts: number;
  /** Events per burst. */
  burstSize: LagFigures;
  /** Visible → the first attempt of its burst: waiting for the dispatcher to read again (its idle poll, a page still being sent, a hand-back), and the read itself. A lower bound: "visible" is up to one watcher poll late. */
  untilBurst: LagFigures;
  /** The first attempt of its burst → its own: waiting behind the events before it in the burst. */
  withinBurst: LagFigures;
  /** Start of one attempt to the start of the next within a burst: the dispatcher's time per event when busy. */
  perEventMs: LagFigures;
}

/** Attempts closer than this belong to one burst (the dispatcher's per-event time is a few ms; its idle poll is 250 ms). */
const BURST_GAP_MS = 100;

export interface DeliveryResult {
  eventTypes: readonly PublicEventType[];
  /** The intake scenario's leads made through production's API (encryption on), warm-up included. */
  leadflow: DeliveryFigures;
  /** The plaintext pair's leads: the same outbox, so the same dispatcher delivers them too. */
  plaintext?: DeliveryFigures;
  /** Both together. */
  all: DeliveryFigures;
  /** Whether every recorded event had arrived before the wait gave up. */
  drained: boolean;
  /** After the intake scenario, how long until the last event arrived (or the wait gave up). */
  drainWaitMs: number;
  /** From the last event recorded to the last delivery. */
  lastRecordedToLastDeliveredMs: number;
  signatureFailures: number;
  signatureFailureSamples: string[];
  /** Deliveries of an event already received (at least once). */
  duplicates: number;
  /** First deliveries that came after a later seq of the same lead. */
  outOfOrder: number;
  /** Attempts to this endpoint that were not delivered (webhook_deliveries). */
  failedAttempts: number;
  /** Where "visible → attempt began" goes: waiting for the dispatcher's next read, then behind earlier events. */
  queueing: Queueing;
  /** The dispatcher's activity handing back to its workflow, from its history; absent when it could not be read. */
  handBacks?: HandBacks;
  /** What held the outbox's visibility back, from the watcher's polls. */
  visibility: { polls: number; pollMs: number; heldByOtherDatabase: number; longestOtherDatabaseXactMs: number };
}

/** Starts the receiver and creates its endpoint through the API (scope admin), subscribed to the intake's event types. */
export async function startDeliveryProbe(ctx: BenchContext): Promise<DeliveryProbe> {
  const receiver = await new WebhookReceiver().start();
  try {
    const answer = await ctx.env.http!.expectOk('POST', '/v1/webhook-endpoints', {
      url: receiver.url,
      eventTypes: DELIVERY_EVENT_TYPES,
      description: `bench ${ctx.runTag}: delivery lag during intake`,
    });
    const body = answer.body as { id: string; secret: string };
    receiver.secret = body.secret;
    const watcher = new OutboxVisibilityWatcher(ctx.env.db!, VISIBILITY_POLL_MS);
    await watcher.start();
    ctx.say(`delivery: receiver on ${receiver.url}, endpoint ${body.id} (${DELIVERY_EVENT_TYPES.join(', ')})`);
    return { receiver, endpointId: body.id, watcher, startedAt: Date.now() };
  } catch (err) {
    await receiver.close();
    throw err;
  }
}

/** Disables the probe's endpoint: later scenarios (decisions, SLA, growth) make events of its types too, and must not pay for their delivery. */
export async function disableDeliveryEndpoint(ctx: BenchContext, probe: DeliveryProbe): Promise<void> {
  await ctx.env.http!.expectOk('PATCH', `/v1/webhook-endpoints/${probe.endpointId}`, { enabled: false });
}

/** Stops what the probe started in the bench process (the receiver and the watcher); safe to call twice. */
export async function stopDeliveryProbe(probe: DeliveryProbe): Promise<void> {
  await probe.watcher.stop();
  await probe.receiver.close();
}

interface RecordedRow {
  leadId: string;
  seq: number;
  campaign: string;
  recordedMs: number;
  /** When the first attempt that delivered began; null when none did. */
  attemptedMs: number | null;
}

/**
 * Delivery lag of the intake scenario's events: waits (bounded) until the receiver has every event of
 * the subscribed types recorded for those leads, joins what it received (leadId, seq) with
 * `lead_events.recorded_at`, then disables the endpoint so the scenarios that follow do not pay for
 * delivery. Nothing is asserted: the figures and counts are reported.
 */
export async function measureDelivery(ctx: BenchContext, probe: DeliveryProbe, campaigns: { leadflow: string; plaintext?: string }, maxWaitMs: number): Promise<DeliveryResult> {
  try {
    return await measure(ctx, probe, campaigns, maxWaitMs);
  } finally {
    await disableDeliveryEndpoint(ctx, probe);
  }
}

async function measure(ctx: BenchContext, probe: DeliveryProbe, campaigns: { leadflow: string; plaintext?: string }, maxWaitMs: number): Promise<DeliveryResult> {
  const { env } = ctx;
  const names = [campaigns.leadflow, ...(campaigns.plaintext ? [campaigns.plaintext] : [])];
  const types = DELIVERY_EVENT_TYPES.map((t) => domainEventOf[t]);
  const recordedRows = async (): Promise<RecordedRow[]> =>
    (
      await sql<RecordedRow>`
        select e.lead_id, e.seq, l.source_campaign as campaign,
               extract(epoch from e.recorded_at) * 1000 as recorded_ms,
               extract(epoch from d.first_ok) * 1000 as attempted_ms
        from lead_events e
        join leads l on l.lead_id = e.lead_id
        left join (
          select lead_id, seq, min(attempted_at) filter (where delivered) as first_ok
          from webhook_deliveries where endpoint_id = ${probe.endpointId} and not redelivery
          group by lead_id, seq
        ) d on d.lead_id = e.lead_id and d.seq = e.seq
        where l.source_campaign in (${sql.join(names)}) and e.type in (${sql.join(types)})`.execute(env.db!)
    ).rows.map((r) => ({ ...r, recordedMs: Number(r.recordedMs), attemptedMs: r.attemptedMs === null ? null : Number(r.attemptedMs) }));
  const key = (leadId: string, seq: number): string => `${leadId}#${seq}`;
  const arrived = (): Map<string, number> => new Map(probe.receiver.received.map((r) => [key(r.leadId, r.seq), r.answeredAt]));

  const waitFrom = Date.now();
  let rows = await recordedRows();
  let drained = false;
  for (;;) {
    const got = arrived();
    if (rows.every((r) => got.has(key(r.leadId, r.seq)))) {
      drained = true;
      break;
    }
    if (Date.now() - waitFrom > maxWaitMs) break;
    await sleep(500);
    rows = await recordedRows();
  }
  const drainWaitMs = Date.now() - waitFrom;
  // The attempt log is written after the receiver answers: read it once more now that all have arrived.
  await sleep(500);
  rows = await recordedRows();
  const got = arrived();

  await probe.watcher.stop();
  const visibleAt = probe.watcher.visibleAt;
  const lagFigures = (samples: number[]): LagFigures => {
    const sm = summarize(samples);
    return { p50Ms: round(sm.p50, 0), p99Ms: round(sm.p99, 0), maxMs: round(sm.max, 0) };
  };
  const figuresOf = (subset: RecordedRow[]): DeliveryFigures => {
    const lag: number[] = [];
    const untilVisible: number[] = [];
    const visibleToAttempt: number[] = [];
    const attempt: number[] = [];
    for (const r of subset) {
      const answeredAt = got.get(key(r.leadId, r.seq));
      if (answeredAt === undefined) continue;
      lag.push(answeredAt - r.recordedMs);
      const visible = visibleAt.get(key(r.leadId, r.seq));
      if (visible !== undefined) untilVisible.push(visible - r.recordedMs);
      if (r.attemptedMs !== null) {
        if (visible !== undefined) visibleToAttempt.push(r.attemptedMs - visible);
        attempt.push(answeredAt - r.attemptedMs);
      }
    }
    return {
      recorded: subset.length,
      delivered: lag.length,
      lag: lagFigures(lag),
      untilVisible: lagFigures(untilVisible),
      visibleToAttempt: lagFigures(visibleToAttempt),
      attempt: lagFigures(attempt),
    };
  };
  const queueing = ((): Queueing => {
    const sent = rows
      .flatMap((r) => {
        const visible = visibleAt.get(key(r.leadId, r.seq));
        return visible !== undefined && r.attemptedMs !== null && got.has(key(r.leadId, r.seq)) ? [{ attemptedMs: r.attemptedMs, visible }] : [];
      })
      .sort((x, y) => x.attemptedMs - y.attemptedMs);
    const untilBurst: number[] = [];
    const withinBurst: number[] = [];
    const perEvent: number[] = [];
    const sizes: number[] = [];
    let burstStart = Number.NaN;
    sent.forEach((e, i) => {
      const before = sent[i - 1];
      if (!before || e.attemptedMs - before.attemptedMs >= BURST_GAP_MS) {
        burstStart = e.attemptedMs;
        sizes.push(0);
      } else perEvent.push(e.attemptedMs - before.attemptedMs);
      sizes[sizes.length - 1]!++;
      untilBurst.push(burstStart - e.visible);
      withinBurst.push(e.attemptedMs - burstStart);
    });
    return { bursts: sizes.length, burstSize: lagFigures(sizes), untilBurst: lagFigures(untilBurst), withinBurst: lagFigures(withinBurst), perEventMs: lagFigures(perEvent) };
  })();
  const handBacks = await deliverySpans(env.client!, dispatcherWorkflowId(probe.endpointId))
    .then((spans) => {
      const inWindow = spans.filter((sp) => sp.closedAt >= probe.startedAt && sp.startedAt <= waitFrom);
      const gaps = inWindow.slice(1).map((sp, i) => ({ from: inWindow[i]!.closedAt, to: sp.startedAt }));
      const through: number[] = [];
      const within: number[] = [];
      for (const r of rows) {
        const answeredAt = got.get(key(r.leadId, r.seq));
        const visible = visibleAt.get(key(r.leadId, r.seq));
        if (answeredAt === undefined || visible === undefined || r.attemptedMs === null) continue;
        const attemptedMs = r.attemptedMs;
        (gaps.some((g) => g.from < attemptedMs && g.to > visible) ? through : within).push(answeredAt - r.recordedMs);
      }
      const gapTotal = gaps.reduce((sum, g) => sum + (g.to - g.from), 0);
      return {
        activities: inWindow.length,
        runMs: lagFigures(inWindow.map((sp) => sp.closedAt - sp.startedAt)),
        gapMs: lagFigures(gaps.map((g) => g.to - g.from)),
        share: round(gapTotal / Math.max(1, waitFrom - probe.startedAt), 3),
        waitedThroughGap: { events: through.length, lag: lagFigures(through) },
        withinActivity: { events: within.length, lag: lagFigures(within) },
      } satisfies HandBacks;
    })
    .catch((err: unknown) => {
      ctx.say(`delivery: the dispatcher's history could not be read: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
  const failed = await sql<{ n: number }>`select count(*)::int as n from webhook_deliveries where endpoint_id = ${probe.endpointId} and not delivered`.execute(env.db!);
  const latest = (values: number[]): number => values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
  const lastRecorded = latest(rows.map((r) => r.recordedMs));
  const lastDelivered = latest(rows.flatMap((r) => got.get(key(r.leadId, r.seq)) ?? []));

  const { receiver } = probe;
  const result: DeliveryResult = {
    eventTypes: DELIVERY_EVENT_TYPES,
    leadflow: figuresOf(rows.filter((r) => r.campaign === campaigns.leadflow)),
    ...(campaigns.plaintext ? { plaintext: figuresOf(rows.filter((r) => r.campaign === campaigns.plaintext)) } : {}),
    all: figuresOf(rows),
    drained,
    drainWaitMs,
    lastRecordedToLastDeliveredMs: Number.isFinite(lastDelivered - lastRecorded) ? round(lastDelivered - lastRecorded, 0) : Number.NaN,
    signatureFailures: receiver.signatureFailures.length,
    signatureFailureSamples: receiver.signatureFailures.slice(0, 3),
    duplicates: receiver.duplicates,
    outOfOrder: receiver.outOfOrder,
    failedAttempts: failed.rows[0]?.n ?? 0,
    queueing,
    ...(handBacks ? { handBacks } : {}),
    visibility: {
      polls: probe.watcher.polls,
      pollMs: VISIBILITY_POLL_MS,
      heldByOtherDatabase: probe.watcher.heldByOtherDatabase,
      longestOtherDatabaseXactMs: round(probe.watcher.longestOtherDatabaseXactMs, 0),
    },
  };
  const a = result.all;
  ctx.say(
    `delivery: ${a.delivered} of ${a.recorded} events delivered${drained ? '' : ` (gave up waiting after ${Math.round(drainWaitMs / 1000)} s)`}; ` +
      `lag p50 ${a.lag.p50Ms} ms, p99 ${a.lag.p99Ms} ms, max ${a.lag.maxMs} ms; ${result.signatureFailures} signature failures, ${result.duplicates} duplicates, ${result.outOfOrder} out of order`,
  );
  return result;
}
