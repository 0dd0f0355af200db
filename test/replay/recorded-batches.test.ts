import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { recordedBatches } from '../../client/recover-lead-events';

// The rebuild from Temporal reads every recorded batch back out of a lead's history: the inputs of
// recordEvents activity tasks (runs before the local-activities patch) and the results of recordEvents
// local activities (runs after it). Both must give every event of the run, once, in seq order.
// The local-activities history was recorded while that change was in (9a23ae1, backed out since): it
// is kept as a fixture of the marker format, not replayed.
const history = async (name: string) =>
  historyFromJSON(
    JSON.parse(await readFile(path.join(__dirname, name.startsWith('local-') ? 'fixtures' : 'histories', `${name}.json`), 'utf8')),
  );

test.each([
  ['journey-won', 'activity tasks'],
  ['local-activities-breach-then-won', 'local activities'],
])('%s (%s): every event of the run, once, in order', async (name) => {
  const events = recordedBatches(await history(name)).flatMap((b) => b.events);
  expect(events.length).toBeGreaterThan(5);
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
  expect(events[0]!.type).toBe('LeadCaptured');
  expect(events.map((e) => e.type)).toContain('LeadAssigned');
  expect(events.at(-1)!.type).toBe('LeadWon');
});
