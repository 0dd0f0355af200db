import http from 'node:http';
import type net from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One delivery the receiver accepted: which event, and when it answered 2xx (ms since epoch). */
export interface ReceivedEvent {
  eventId: string;
  type: string;
  leadId: string;
  seq: number;
  answeredAt: number;
}

/**
 * A webhook receiver as a customer would run one, inside the bench process: node:http on 127.0.0.1,
 * every request's Standard Webhooks signature verified with the stock `standardwebhooks` library, each
 * event recorded once (at least once delivery: a repeat of an id is counted, not recorded again), 204.
 * A request whose signature does not verify is answered 401, as a real receiver would: the dispatcher
 * then retries that event and holds the events behind it, so a failure shows in the lag and the counts.
 */
export class WebhookReceiver {
  /** First accepted delivery of each event id, in arrival order. */
  readonly received: ReceivedEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly lastSeq = new Map<string, number>();
  /** Requests whose signature (or body) did not verify: there must be none. */
  readonly signatureFailures: string[] = [];
  /** Deliveries of an event id already received (at least once allows them; receivers drop them by id). */
  duplicates = 0;
  /** First deliveries of a lead's event that came after a later seq of the same lead (there must be none). */
  outOfOrder = 0;
  secret = '';
  url = '';
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/leadflow-events`;
    return this;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let event: { id: string; type: string; leadId: string; seq: number };
    try {
      event = new Webhook(this.secret).verify(body, req.headers as Record<string, string>) as typeof event;
      if (event.id !== req.headers['webhook-id']) throw new Error(`webhook-id ${String(req.headers['webhook-id'])} is not the event id ${event.id}`);
    } catch (err) {
      if (this.signatureFailures.length < 1000) this.signatureFailures.push(err instanceof Error ? err.message : String(err));
      res.writeHead(401).end();
      return;
    }
    const answeredAt = Date.now();
    res.writeHead(204).end();
    if (this.seen.has(event.id)) {
      this.duplicates++;
      return;
    }
    this.seen.add(event.id);
    if ((this.lastSeq.get(event.leadId) ?? 0) > event.seq) this.outOfOrder++;
    else this.lastSeq.set(event.leadId, event.seq);
    this.received.push({ eventId: event.id, type: event.type, leadId: event.leadId, seq: event.seq, answeredAt });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
