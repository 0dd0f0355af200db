import type { LeadProfile } from './lead-events';
import type { LeadPolicy } from './lead-policy';

/**
 * Fit (who they are) and engagement (what they do) are scored on separate axes because their failure
 * modes are opposite: high fit + low engagement is someone to nurture, low fit + high engagement is
 * usually a student, competitor or job seeker. Neither number is ever folded into the other.
 */

export interface FitReason {
  rule: string;
  points: number;
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

export function emailDomain(email: string | undefined): string | undefined {
  const at = email?.lastIndexOf('@') ?? -1;
  return at > 0 ? email!.slice(at + 1).toLowerCase() : undefined;
}

/** One person, one lead: addresses differing only in case or surrounding spaces are the same person. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
