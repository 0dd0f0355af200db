import { WorkflowNotFoundError } from '@temporalio/client';
import type { Express } from 'express';
import { sql } from 'kysely';
import { workflowIdForLead } from '../../client/lead-id';
import { storedEvent } from '../../db/lead-events.repository';
import type { LeadState } from '../../domain/lead-state';
import { keyStoreSealer } from '../../encryption';
import { leadStateQuery } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import { GetLeadQuery, HistoryQuery, LeadPathParams, ListLeadsQuery } from '../schemas';
import { fromTemporalError } from '../temporal-errors';
import { existingLead, guard, leadView, parse, projected, workflowDeadline } from './route-support';

/**
 * The reads: one lead (read model, or the workflow itself with ?consistent=true), its event history,
 * and filtered lists with keyset pagination. All from PostgreSQL except the consistent read.
 */
export function registerLeadReadRoutes(app: Express, deps: AppDeps): void {
  app.get('/v1/leads', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(ListLeadsQuery, req.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    // Erased leads stay in the reports (their facts) but are nobody's work: not listed.
    let select = deps.db.selectFrom('leads').select(['state', 'updatedAt', 'leadId']).where('erasedAt', 'is', null);
    if (query.stage !== undefined) select = select.where('stage', '=', query.stage);
    if (query.owner !== undefined) select = select.where('owner', '=', query.owner);
    if (query.slaDueBefore !== undefined) select = select.where('slaDueAt', '<', new Date(query.slaDueBefore));
    if (after) {
      select = select.where(sql<boolean>`(updated_at, lead_id) < (${after.updatedAt}::timestamptz, ${after.leadId})`);
    }
    const rows = await select
      .orderBy('updatedAt', 'desc')
      .orderBy('leadId', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    res.json({
      items: page.map((r) => leadView(r.state as LeadState, deps)),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ updatedAt: last.updatedAt.toISOString(), leadId: last.leadId }) : null,
    });
  });

  app.get('/v1/leads/:leadId', ...guard(app, deps, 'read'), async (req, res) => {
    const { leadId } = parse(LeadPathParams, req.params);
    const { consistent } = parse(GetLeadQuery, req.query);
    const known = await existingLead(deps, leadId);
    const state = consistent === 'true' ? await queryWorkflow(deps, leadId) : known;
    if (!state || state.seq === 0) throw ApiError.notFound(`Lead ${leadId}`);
    res.json({ lead: leadView(state, deps) });
  });

  app.get('/v1/leads/:leadId/history', ...guard(app, deps, 'read'), async (req, res) => {
    const { leadId } = parse(LeadPathParams, req.params);
    const { afterSeq, limit } = parse(HistoryQuery, req.query);
    await existingLead(deps, leadId);
    const rows = await deps.db
      .selectFrom('leadEvents')
      .select(['seq', 'type', 'data', 'personal', 'occurredAt', 'recordedAt'])
      .where('leadId', '=', leadId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const sealer = keyStoreSealer(deps.keys);
    const events = await Promise.all(page.map(async (r) => ({ event: await storedEvent(sealer, leadId, r), recordedAt: r.recordedAt })));
    res.json({
      leadId,
      events: events.map(({ event, recordedAt }) => ({
        seq: event.seq,
        type: event.type,
        occurredAt: event.occurredAt,
        recordedAt: recordedAt.toISOString(),
        data: event.data,
      })),
      nextAfterSeq: rows.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
    });
  });
}

async function queryWorkflow(deps: AppDeps, leadId: string): Promise<LeadState | undefined> {
  try {
    return await deps.client.withDeadline(workflowDeadline(deps), () =>
      deps.client.workflow.getHandle(workflowIdForLead(leadId)).query(leadStateQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw await fromTemporalError(err, { leadId, projected: projected(deps, leadId), mayApplyLater: false });
  }
}

interface Cursor {
  updatedAt: string;
  leadId: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.updatedAt, c.leadId]), 'utf8').toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const [updatedAt, leadId] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof updatedAt === 'string' && !Number.isNaN(Date.parse(updatedAt)) && typeof leadId === 'string') {
      return { updatedAt, leadId };
    }
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_request', 'The cursor is not one this API returned', [
    { code: 'custom', path: ['cursor'], message: 'invalid cursor' },
  ]);
}
