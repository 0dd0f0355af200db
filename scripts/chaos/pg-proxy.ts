import net from 'node:net';

/**
 * A TCP proxy in front of the machine's PostgreSQL server, owned by `npm run chaos`: the workers and the
 * API reach their database only through it, so "PostgreSQL is down" is this proxy closing every connection
 * and refusing new ones, while the shared server itself keeps running for everyone else.
 */
export class PgProxy {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly sockets = new Set<net.Socket>();
  private cutUntil = 0;
  private timer?: NodeJS.Timeout;
  port = 0;
  /** Connections closed or refused by cuts, for the report. */
  closed = 0;
  refused = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  get isCut(): boolean {
    return Date.now() < this.cutUntil;
  }

  /** Closes every connection now and refuses new ones for `ms`. */
  cut(ms: number): void {
    this.cutUntil = Date.now() + ms;
    for (const s of this.sockets) {
      s.destroy();
      this.closed++;
    }
    this.sockets.clear();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => (this.cutUntil = 0), ms);
  }

  private accept(client: net.Socket): void {
    if (this.isCut) {
      this.refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    const pair = [client, upstream];
    for (const s of pair) {
      this.sockets.add(s);
      s.setNoDelay(true);
      // Either side ending or failing ends both: the pool sees a dropped connection, as with a real outage.
      s.on('error', () => pair.forEach((p) => p.destroy()));
      s.on('close', () => {
        this.sockets.delete(s);
        pair.forEach((p) => p.destroy());
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  close(): Promise<void> {
    clearTimeout(this.timer);
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
