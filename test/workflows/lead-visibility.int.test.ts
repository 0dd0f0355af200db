import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import { submitTestForm } from '../support/encryption';
import { createDevServerEnv, createTestWorker } from '../support/temporal-env';

// The real dev server (the same binary `npm start` runs), with the lead search attributes registered:
// what engineers see in the Temporal UI is what this test queries.
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createDevServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const mqlForm = (email: string) => ({
  formType: 'demo_request',
  profile: {
    email,
    firstName: 'Grace',
    lastName: 'Hopper',
    phone: '+49 30 1234567',
    company: 'Compilers GmbH',
    country: 'DE',
    productInterest: 'lead routing',
    seniority: 'vp',
    employeeCount: 800,
  },
});

test('update-with-start creates a lead once, and a visibility query by LeadStage finds the MQL', async () => {
  const { worker } = await createTestWorker(env);
  await worker.runUntil(async () => {
    const first = await submitTestForm(env.client, mqlForm('grace@compilers.example'), defaultLeadPolicy);
    expect(first).toMatchObject({ created: true, stage: 'mql' });
    const again = await submitTestForm(env.client, mqlForm('  GRACE@compilers.example '), defaultLeadPolicy);
    expect(again).toEqual({ leadId: first.leadId, created: false, stage: 'mql' });

    const inquiry = await submitTestForm(
      env.client,
      { formType: 'newsletter', profile: { email: 'someone@else.example' } },
      defaultLeadPolicy,
    );
    expect(inquiry).toMatchObject({ created: true, stage: 'inquiry' });

    // Visibility is eventually consistent: poll until the upserted attributes are indexed.
    let ids: string[] = [];
    for (let i = 0; i < 50 && !ids.includes(first.leadId); i++) {
      ids = [];
      for await (const wf of env.client.workflow.list({ query: `LeadStage = 'mql'` })) ids.push(wf.workflowId);
      if (!ids.includes(first.leadId)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ids).toContain(first.leadId);
    expect(ids).not.toContain(inquiry.leadId);

    const owned: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `LeadStage = 'mql' AND LeadOwner IS NOT NULL` })) {
      owned.push(wf.workflowId);
    }
    expect(owned).toContain(first.leadId);
  });
});
