import type { LeadPolicy, LeadPolicyInput } from './lead-policy';

/**
 * The policy a workflow run decides with, from its input, without zod: the workflow bundle stays
 * zod-free (a zod import is evaluated again for every workflow run; see bench/README.md). A policy from
 * this release is already parsed and complete and passes unchanged; one recorded by an older release
 * (plain rep ids, a single `remindAtFraction`, no routing or consent sections) gains the defaults of
 * the newer fields, which change nothing about how it decides. test/domain/lead-policy-upgrade.test.ts
 * checks this equals `parseLeadPolicy` on both kinds.
 */
export function upgradeRecordedPolicy(input: LeadPolicy | LeadPolicyInput): LeadPolicy {
  const p = input;
  return {
    ...p,
    version: p.version ?? 'unversioned',
    fit: {
      annualRevenueBands: [],
      competitorDomains: [],
      competitorPoints: 0,
      roleAccountLocalParts: [],
      roleAccountPoints: 0,
      titleRules: [],
      ...p.fit,
    },
    consent: p.consent
      ? { required: p.consent.required, lawfulBases: p.consent.lawfulBases ?? ['consent', 'contract', 'legitimate_interests'] }
      : { required: false, lawfulBases: ['consent', 'contract', 'legitimate_interests'] },
    sla: {
      clock: 'elapsed',
      contactAttemptsBeforeNotReady: 0,
      ...p.sla,
      mql: slaWindow(p.sla.mql),
      sal: slaWindow(p.sla.sal),
    },
    calendars: (p.calendars ?? {}) as LeadPolicy['calendars'],
    nurtureTracks: (p.nurtureTracks ?? {}),
    routing: {
      strategy: 'round_robin',
      territories: {},
      segments: {},
      ...p.routing,
      reps: p.routing.reps.map((rep) => (typeof rep === 'string' ? { id: rep } : rep)),
    },
  } as LeadPolicy;
}

function slaWindow(w: LeadPolicyInput['sla']['mql']): LeadPolicy['sla']['mql'] {
  const { remindAtFraction, reminders, ...rest } = w;
  return { ...rest, reminders: [...(reminders ?? [remindAtFraction ?? 0.75])].sort((a, b) => a - b) };
}
