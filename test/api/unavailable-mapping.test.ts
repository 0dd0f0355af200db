import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { errorHandler } from '../../api/errors';
import { fromTemporalError } from '../../api/temporal-errors';

/*
 * What a backing service going away mid-request answers (found by npm run chaos, issue 16): pg's own
 * connection errors carry no code and were 500s, a 503 of the error handler had no Retry-After, and an
 * Update the server refused because the lead's workflow task keeps failing was a 500.
 */

function appThrowing(make: () => unknown) {
  const app = express();
  app.get('/x', () => {
    throw make();
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  return app;
}

test.each(['Connection terminated unexpectedly', 'Connection terminated due to connection timeout', 'timeout exceeded when trying to connect'])(
  'pg "%s" is a 503 with Retry-After',
  async (message) => {
    const res = await request(appThrowing(() => new Error(message))).get('/x');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  },
);

test('any other error stays a 500', async () => {
  const res = await request(appThrowing(() => new Error('Connection refused by policy'))).get('/x');
  expect(res.status).toBe(500);
});

test('an Update refused while the workflow task is failing is a 503: nothing was applied', async () => {
  const grpc = Object.assign(new Error('9 FAILED_PRECONDITION: Unable to perform workflow execution update due to Workflow Task in failed state.'), {
    code: 9,
    details: 'Unable to perform workflow execution update due to Workflow Task in failed state.',
    metadata: {},
  });
  const err = Object.assign(new Error('Workflow Update failed'), { name: 'ServiceError', cause: grpc });
  const mapped = (await fromTemporalError(err, { leadId: 'lead-x', projected: async () => undefined, mayApplyLater: true })) as { status?: number; message?: string };
  expect(mapped.status).toBe(503);
  expect(mapped.message).toMatch(/nothing was applied/);
});
