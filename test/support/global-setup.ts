import { randomUUID } from 'node:crypto';

/**
 * Marks this test run: every process it starts inherits LEADFLOW_TEST_RUN, the Temporal servers the SDK
 * spawns included, so global-teardown.ts (and .ci/run after `npm test`) can find the ones still alive
 * without touching anyone else's. A caller that set it (.ci/run) keeps its own.
 */
export default function globalSetup(): void {
  process.env.LEADFLOW_TEST_RUN ||= `jest-${process.pid}-${randomUUID().slice(0, 8)}`;
}
