import { SignalCoalescer } from '../../api/signal-coalescer';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(fail?: (key: string, items: number[]) => Error | undefined) {
  const sent: { key: string; items: number[] }[] = [];
  const send = async (key: string, items: number[]) => {
    await tick(1);
    const err = fail?.(key, items);
    if (err) throw err;
    sent.push({ key, items });
  };
  return { sent, send };
}

describe('SignalCoalescer (one signal per lead per window)', () => {
  test('calls for one lead within the window share one send; each caller waits for it', async () => {
    const { sent, send } = recorder();
    const c = new SignalCoalescer(send, 20, 500);
    let answered = 0;
    const calls = [c.add('lead-a', [1]), c.add('lead-a', [2, 3]), c.add('lead-a', [4])].map((p) => p.then(() => answered++));
    await tick(5);
    expect(answered).toBe(0); // nobody is answered before the server has the events
    await Promise.all(calls);
    expect(sent).toEqual([{ key: 'lead-a', items: [1, 2, 3, 4] }]);
    expect(c.pending).toBe(0);
  });

  test('different leads never share a send', async () => {
    const { sent, send } = recorder();
    const c = new SignalCoalescer(send, 10, 500);
    await Promise.all([c.add('lead-a', [1]), c.add('lead-b', [2]), c.add('lead-a', [3])]);
    expect(sent.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'lead-a', items: [1, 3] },
      { key: 'lead-b', items: [2] },
    ]);
  });

  test('a batch is sent early rather than grow past the bound; a later call opens the next one', async () => {
    const { sent, send } = recorder();
    const c = new SignalCoalescer(send, 50, 3);
    await Promise.all([c.add('lead-a', [1, 2]), c.add('lead-a', [3, 4]), c.add('lead-a', [5])]);
    expect(sent).toEqual([
      { key: 'lead-a', items: [1, 2] },
      { key: 'lead-a', items: [3, 4, 5] },
    ]);
  });

  test('a failed send fails every call it carried, and the next window starts afresh', async () => {
    let down = true;
    const { sent, send } = recorder(() => (down ? new Error('signal limit') : undefined));
    const c = new SignalCoalescer(send, 10, 500);
    const outcomes = await Promise.allSettled([c.add('lead-a', [1]), c.add('lead-a', [2])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toEqual(new Error('signal limit'));
    down = false;
    await c.add('lead-a', [3]);
    expect(sent).toEqual([{ key: 'lead-a', items: [3] }]);
  });

  test('window 0 sends each call on its own', async () => {
    const { sent, send } = recorder();
    const c = new SignalCoalescer(send, 0, 500);
    await Promise.all([c.add('lead-a', [1]), c.add('lead-a', [2])]);
    expect(sent).toHaveLength(2);
  });
});
