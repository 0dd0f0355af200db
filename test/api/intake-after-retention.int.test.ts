import request from 'supertest';
import { bearer, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';
import { testLeadId } from '../support/encryption';

// Namespace retention deletes a closed lead's workflow after a while (an operator may also terminate
// and delete one). A later form fill for that person must not start over at seq 1: the read model
// already holds those seqs and would skip the new events, losing them.

let t: ApiTestbed;
beforeAll(async () => {
  t = await startApiTestbed();
});
afterAll(async () => {
  await t?.close();
});

const intake = bearer(testKeys.intake);
const sales = bearer(testKeys.sales);

async function deleteWorkflow(leadId: string): Promise<void> {
  await t.env.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: leadId } });
  // Deletion is asynchronous on the server (a deletion task): wait until the run is really gone.
  for (let i = 0; i < 240; i++) {
    try {
      await t.env.client.workflow.getHandle(leadId).describe();
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`workflow ${leadId} was not deleted`);
}

const events = async (leadId: string) =>
  (await t.db.selectFrom('leadEvents').select(['seq', 'type']).where('leadId', '=', leadId).orderBy('seq').execute()).map(
    (e) => `${e.seq}:${e.type}`,
  );

test('a won lead whose workflow was deleted stays closed, and its stored events are untouched', async () => {
  const email = 'retained@retention.example';
  const leadId = testLeadId(email);
  expect((await request(t.app).post('/v1/leads').set(intake).send(mqlForm(email))).status).toBe(202);
  for (const [path, body] of [
    ['accept', { rep: 'rep-ada' }],
    ['qualify', { rep: 'rep-ada', budget: true, authority: true, need: true, timeline: true }],
    ['close', { rep: 'rep-ada', outcome: 'won' }],
  ] as const) {
    expect((await request(t.app).post(`/v1/leads/${leadId}/${path}`).set(sales).send(body)).status).toBe(200);
  }
  await t.env.client.workflow.getHandle(leadId).result();
  const before = await events(leadId);
  await deleteWorkflow(leadId);

  const again = await request(t.app).post('/v1/leads').set(intake).send(mqlForm(email));
  expect(again.status).toBe(409);
  expect(await events(leadId)).toEqual(before);
});

test('an open lead whose workflow was deleted continues from its stored state and sequence', async () => {
  const email = 'resumed@retention.example';
  const leadId = testLeadId(email);
  expect((await request(t.app).post('/v1/leads').set(intake).send({ email, formType: 'newsletter', firstName: 'Res' })).status).toBe(202);
  const before = await events(leadId);
  await t.env.client.workflow.getHandle(leadId).terminate('operator cleanup');
  await deleteWorkflow(leadId);

  const again = await request(t.app).post('/v1/leads').set(intake).send(mqlForm(email));
  expect(again.status).toBe(202);
  expect(again.body).toMatchObject({ leadId, created: false, stage: 'mql' });
  const after = await events(leadId);
  expect(after.slice(0, before.length)).toEqual(before);
  expect(after.slice(before.length)[0]).toBe(`${before.length + 1}:FormFilled`);
  expect(after).toContain(`${before.length + 2}:LeadBecameMql`);
});
