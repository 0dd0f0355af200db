import http from 'node:http';
import type net from 'node:net';
import { Webhook } from 'standardwebhooks';

/** How the receiver answers right now: normally, slowly, with a 503, or by dropping the connection. */
export type ReceiverMode = { kind: 'ok' } | { kind: 'delay'; ms: number } | { kind: 'error' } | { kind: 'drop' };

/**
 * The notification receiver of `npm run chaos`: a webhook endpoint as a customer runs one, on 127.0.0.1.
 * Every delivery's Standard Webhooks signature is verified with the stock `standardwebhooks` library and
 * events are kept once by `webhook-id` (delivery is at least once). The suite switches its mode to make
 * it slow or failing for a while; a delivery it refuses is retried by Leadflow, and must still arrive.
 */
export class ChaosReceiver {
  /** Event ids accepted (2xx), first delivery only. */
  readonly received = new Set<string>();
  requests = 0;
  duplicates = 0;
  refused = 0;
  signatureFailures = 0;
  mode: ReceiverMode = { kind: 'ok' };
  secret = '';
  url = '';
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/leadflow-events`;
    return this;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const mode = this.mode;
    if (mode.kind === 'drop') {
      this.refused++;
      req.socket.destroy();
      return;
    }
    if (mode.kind === 'error') {
      this.refused++;
      res.writeHead(503, { 'retry-after': '1' }).end();
      return;
    }
    if (mode.kind === 'delay') await new Promise((r) => setTimeout(r, mode.ms));
    let event: { id: string };
    try {
      event = new Webhook(this.secret).verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>) as typeof event;
      if (event.id !== req.headers['webhook-id']) throw new Error('webhook-id is not the event id');
    } catch {
      this.signatureFailures++;
      res.writeHead(401).end();
      return;
    }
    if (res.destroyed) return; // the sender gave up while we were slow: it will send the event again
    res.writeHead(204).end();
    if (this.received.has(event.id)) this.duplicates++;
    else this.received.add(event.id);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
