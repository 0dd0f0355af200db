import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every lead workflow keeps current, so engineers can find leads in the
 * Temporal UI (`LeadStage = 'mql' AND SlaDueAt < …`). They must be registered on the namespace
 * (the dev server's `--search-attribute` flags, or `temporal operator search-attribute create`).
 */
export const LeadStageKey = defineSearchAttributeKey('LeadStage', SearchAttributeType.KEYWORD);
export const LeadOwnerKey = defineSearchAttributeKey('LeadOwner', SearchAttributeType.KEYWORD);
export const SlaDueAtKey = defineSearchAttributeKey('SlaDueAt', SearchAttributeType.DATETIME);
export const FitScoreKey = defineSearchAttributeKey('FitScore', SearchAttributeType.INT);
export const EngagementScoreKey = defineSearchAttributeKey('EngagementScore', SearchAttributeType.INT);

export const leadSearchAttributeKeys = [LeadStageKey, LeadOwnerKey, SlaDueAtKey, FitScoreKey, EngagementScoreKey];

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export const leadSearchAttributeFlags: string[] = [
  'LeadStage=Keyword',
  'LeadOwner=Keyword',
  'SlaDueAt=Datetime',
  'FitScore=Int',
  'EngagementScore=Int',
];
