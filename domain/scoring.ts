import type { LeadEvent, LeadProfile } from './lead-events';
import type { LeadPolicy } from './lead-policy';

/**
 * Fit (who they are) and engagement (what they do) are scored on separate axes because their failure
 * modes are opposite: high fit + low engagement is someone to nurture, low fit + high engagement is
 * usually a student, competitor or job seeker. Neither number is ever folded into the other.
 */

export interface FitReason {
  rule: string;
  points: number;
  /** A suspect marker the rule carries (student, job_seeker, competitor, role_account). */
  flag?: string;
}

export function explainFit(profile: Partial<LeadProfile>, policy: LeadPolicy): FitReason[] {
  const { fit } = policy;
  const reasons: FitReason[] = [];
  const seniority = profile.seniority?.trim().toLowerCase();
  if (seniority && fit.seniority[seniority] !== undefined) {
    reasons.push({ rule: `seniority:${seniority}`, points: fit.seniority[seniority] });
  }
  if (profile.employeeCount !== undefined) {
    const band = [...fit.employeeCountBands]
      .sort((a, b) => b.min - a.min)
      .find((b) => (profile.employeeCount ?? 0) >= b.min);
    if (band) reasons.push({ rule: `employees>=${band.min}`, points: band.points });
  }
  if (profile.annualRevenue !== undefined && fit.annualRevenueBands.length > 0) {
    const band = [...fit.annualRevenueBands]
      .sort((a, b) => b.min - a.min)
      .find((b) => (profile.annualRevenue ?? 0) >= b.min);
    if (band) reasons.push({ rule: `revenue>=${band.min}`, points: band.points });
  }
  const title = profile.jobTitle?.toLowerCase();
  if (title) {
    const wordList = title.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    const words = new Set(wordList);
    const phrase = ` ${wordList.join(' ')} `;
    const matches = (keyword: string) => (keyword.includes(' ') ? phrase.includes(` ${keyword} `) : words.has(keyword));
    const rule = fit.titleRules.find((r) => r.keywords.some(matches));
    if (rule) {
      const keyword = rule.keywords.find(matches)!;
      reasons.push({ rule: `title:${keyword}`, points: rule.points, ...(rule.flag ? { flag: rule.flag } : {}) });
    }
  }
  const industry = profile.industry?.trim().toLowerCase();
  if (industry && fit.targetIndustries.includes(industry)) {
    reasons.push({ rule: `industry:${industry}`, points: fit.targetIndustryPoints });
  }
  const country = profile.country?.trim().toUpperCase();
  if (country && fit.targetCountries.includes(country)) {
    reasons.push({ rule: `country:${country}`, points: fit.targetCountryPoints });
  }
  const domain = emailDomain(profile.email);
  if (domain && fit.freeMailDomains.includes(domain)) {
    reasons.push({ rule: `free_mail:${domain}`, points: fit.freeMailPoints });
  }
  const companyDomain = profile.companyDomain?.trim().toLowerCase();
  const competitor = [domain, companyDomain].find((d) => d !== undefined && isDomainIn(d, fit.competitorDomains));
  if (competitor) reasons.push({ rule: `competitor:${competitor}`, points: fit.competitorPoints, flag: 'competitor' });
  const localPart = emailLocalPart(profile.email);
  if (localPart && fit.roleAccountLocalParts.includes(localPart)) {
    reasons.push({ rule: `role_account:${localPart}@`, points: fit.roleAccountPoints, flag: 'role_account' });
  }
  return reasons;
}

export function fitScore(profile: Partial<LeadProfile>, policy: LeadPolicy): number {
  return explainFit(profile, policy).reduce((sum, r) => sum + r.points, 0);
}

/** Points one more event of this type adds, given the points that type already contributed. */
export function engagementPoints(type: string, alreadyFromType: number, policy: LeadPolicy): number {
  const { engagement } = policy;
  const raw = engagement.points[type] ?? engagement.defaultPoints;
  const cap = engagement.capPerType[type];
  if (cap === undefined || raw <= 0) return raw;
  return Math.max(0, Math.min(raw, cap - alreadyFromType));
}

/** Suspect markers in the fit reasons (student, job_seeker, competitor, role_account…). */
export function fitFlags(profile: Partial<LeadProfile>, policy: LeadPolicy): string[] {
  return [...new Set(explainFit(profile, policy).flatMap((r) => (r.flag ? [r.flag] : [])))];
}

/** Why a lead in marketing's hands is suspect: high engagement with low fit, or nothing. */
export function suspectReasons(
  scores: { fitScore: number; engagementScore: number; profile: Partial<LeadProfile> },
  policy: LeadPolicy,
): string[] {
  if (!policy.suspect) return [];
  const high = scores.engagementScore >= (policy.suspect.minEngagement ?? policy.engagement.threshold);
  const low = scores.fitScore < (policy.suspect.maxFit ?? policy.fit.threshold);
  if (!high || !low) return [];
  const flags = fitFlags(scores.profile, policy);
  return flags.length > 0 ? flags : ['low_fit'];
}

/** True when the fit is no longer low, so a suspect flag no longer holds. */
export function fitClearsSuspect(fitScore: number, policy: LeadPolicy): boolean {
  return !policy.suspect || fitScore >= (policy.suspect.maxFit ?? policy.fit.threshold);
}

export interface EngagementReason {
  /** `form:demo_request`, `engagement:pricing_page_view`, `decay`. */
  rule: string;
  points: number;
  at: string;
  seq: number;
  engagementId?: string;
  /** Why an event scored less than its type's points (cap reached), or how a decay was computed. */
  note?: string;
}

/**
 * The events behind the current engagement score, oldest first: every scored form and engagement since
 * the lead was last recycled (recycling resets engagement), and every decay step. The points add up to
 * the score the lead holds after the last event.
 */
export function explainEngagement(events: readonly LeadEvent[], policy?: LeadPolicy): EngagementReason[] {
  let reasons: EngagementReason[] = [];
  let score = 0;
  for (const e of events) {
    switch (e.type) {
      case 'FormFilled': {
        const points = e.data.engagementScore - score;
        score = e.data.engagementScore;
        if (points !== 0) reasons.push({ rule: `form:${e.data.formType}`, points, at: e.occurredAt, seq: e.seq });
        break;
      }
      case 'EngagementRecorded': {
        score = e.data.engagementScore;
        const raw = policy ? (policy.engagement.points[e.data.engagementType] ?? policy.engagement.defaultPoints) : undefined;
        reasons.push({
          rule: `engagement:${e.data.engagementType}`,
          points: e.data.points,
          at: e.data.at,
          seq: e.seq,
          ...(e.data.engagementId !== undefined ? { engagementId: e.data.engagementId } : {}),
          ...(raw !== undefined && raw > e.data.points ? { note: `capped: ${raw} points per event, type cap reached` } : {}),
        });
        break;
      }
      case 'EngagementDecayed':
        score = e.data.to;
        reasons.push({
          rule: 'decay',
          points: e.data.to - e.data.from,
          at: e.occurredAt,
          seq: e.seq,
          note: `half-life ${e.data.halfLifeDays} days since ${e.data.since}: x${e.data.factor}`,
        });
        break;
      case 'LeadRecycled':
        reasons = [];
        score = 0;
        break;
      default:
        break;
    }
  }
  return reasons;
}

function isDomainIn(domain: string, list: readonly string[]): boolean {
  return list.some((d) => domain === d || domain.endsWith(`.${d}`));
}

function emailLocalPart(email: string | undefined): string | undefined {
  const at = email?.lastIndexOf('@') ?? -1;
  return at > 0 ? email!.slice(0, at).trim().toLowerCase() : undefined;
}

export function emailDomain(email: string | undefined): string | undefined {
  const at = email?.lastIndexOf('@') ?? -1;
  return at > 0 ? email!.slice(at + 1).toLowerCase() : undefined;
}

/** One person, one lead: addresses differing only in case or surrounding spaces are the same person. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
