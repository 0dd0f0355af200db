import type { LeadPolicy } from '../domain/lead-policy';
import type { Db } from './connection';

/**
 * Keeps the policy a process starts with, under its version. Versions are content hashes, so storing
 * one twice is a no-op. Policies without a content version (`unversioned`, or tests' own labels) are
 * kept too: the first one stored under a label wins.
 */
export async function savePolicyVersion(db: Db, policy: LeadPolicy): Promise<void> {
  await db
    .insertInto('policyVersions')
    .values({ version: policy.version, policy: JSON.stringify(policy) })
    .onConflict((oc) => oc.column('version').doNothing())
    .execute();
}

/** The policy stored under `version`, if a worker or the API ever ran with it here. */
export async function findPolicyVersion(db: Db, version: string): Promise<LeadPolicy | undefined> {
  const row = await db.selectFrom('policyVersions').select('policy').where('version', '=', version).executeTakeFirst();
  return row?.policy;
}
