import { setMaxListeners } from 'node:events';
import { Client } from 'pg';
import { createPubSub, SlidingBuffer, type PubSub } from '@graphql-yoga/subscription';
import type { Logger } from '../common/logger';
import { CHANGE_CHANNEL, type ChangeEvent } from './events';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './data-source';

/** Channels every instance listens on. Payloads are ids only (NOTIFY's limit is 8,000 bytes). */
export const REMINDER_CHANNEL = 'isms_reminder';
export const KEY_REVOKED_CHANNEL = 'isms_key_revoked';
const CHANNELS = [CHANGE_CHANNEL, REMINDER_CHANNEL, KEY_REVOKED_CHANNEL] as const;

export type BusTopics = {
  [CHANGE_CHANNEL]: [ChangeEvent];
  [REMINDER_CHANNEL]: [{ id: string }];
  [KEY_REVOKED_CHANNEL]: [{ keyId: string }];
};
export type EventBus = PubSub<BusTopics> & { ready: Promise<void>; stop(): Promise<void> };

// NOTIFYs sent while no listener is connected are lost, so once the database is back the listener
// must be too, soon: after a few quick tries it retries every second (one connect attempt, cheap).
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 1000;

/**
 * An event target over PostgreSQL LISTEN/NOTIFY for `createPubSub`: events dispatched here are
 * sent with pg_notify, and every notification a channel receives is dispatched to the local
 * listeners, so every instance hears every event. Writes send theirs inside their own transaction
 * (delivered on commit only). The listening connection reconnects by itself when it is lost.
 */
class PgEventTarget extends EventTarget {
  private client: Client | null = null;
  private stopped = false;
  private retry = RETRY_MIN_MS;
  /** When the listener lost its connection (or first failed to connect); null while connected. */
  private lostAt: number | null = null;
  private failures = 0;
  readonly ready: Promise<void>;

  constructor(private readonly url: string, private readonly log: Logger) {
    super();
    setMaxListeners(0, this); // one listener per subscription: thousands are expected
    this.ready = this.connect();
  }

  private async connect(): Promise<void> {
    while (!this.stopped) {
      // a connect must not hang forever on an unreachable host: it fails and the loop retries
      const client = new Client({ connectionString: this.url, application_name: 'isms-graph-listener', connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS });
      try {
        client.on('notification', (message) => this.receive(message.channel, message.payload));
        client.on('error', (err) => this.lost(client, err));
        client.on('end', () => this.lost(client));
        await client.connect();
        for (const channel of CHANNELS) await client.query(`LISTEN ${channel}`);
        this.client = client;
        // events notified in between never reached this instance's subscribers: say for how long
        if (this.lostAt !== null) this.log.warn({ awayMs: Date.now() - this.lostAt, attempts: this.failures + 1 }, 'event listener reconnected');
        this.lostAt = null;
        this.failures = 0;
        this.retry = RETRY_MIN_MS;
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (this.stopped) return;
        this.lostAt ??= Date.now();
        this.failures += 1;
        // the first failure of an outage is the warning; the retries after it would repeat it every second
        this.log[this.failures === 1 ? 'warn' : 'debug']({ err: String(err), retryMs: this.retry }, 'event listener cannot connect; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.retry).unref());
        this.retry = Math.min(this.retry * 2, RETRY_MAX_MS);
      }
    }
  }

  private lost(client: Client, err?: unknown): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.log.warn({ err: err ? String(err) : undefined }, 'event listener lost its connection; reconnecting');
    client.end().catch(() => undefined);
    this.lostAt = Date.now();
    this.failures = 0;
    this.retry = RETRY_MIN_MS;
    void this.connect();
  }

  private receive(channel: string, payload: string | undefined): void {
    try {
      super.dispatchEvent(new CustomEvent(channel, { detail: payload ? JSON.parse(payload) : undefined }));
    } catch (err) {
      this.log.error({ err, channel }, 'unreadable notification');
    }
  }

  /** Publishing from outside a write (rare): a NOTIFY of its own. */
  override dispatchEvent(event: Event): boolean {
    const detail = (event as CustomEvent).detail;
    const client = this.client;
    if (client) client.query('SELECT pg_notify($1, $2)', [event.type, JSON.stringify(detail)]).catch((err) => this.log.error({ err }, 'notify failed'));
    else this.log.warn({ channel: event.type }, 'event dropped: listener not connected');
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}

/** Events a subscription may fall behind by; past that its oldest are dropped (it catches up by query). */
export const SUBSCRIPTION_BUFFER = 1000;

export function createEventBus(url: string, log: Logger): EventBus {
  const target = new PgEventTarget(url, log);
  const pubSub = createPubSub<BusTopics>({ eventTarget: target as never });
  return {
    publish: pubSub.publish,
    // A buffer of its own per subscription: a slow subscriber under a burst (a scheduler pass firing
    // thousands of reminders) drops its oldest events instead of overflowing and taking the process down.
    subscribe: ((...args: Parameters<typeof pubSub.subscribe>) =>
      createPubSub<BusTopics>({ eventTarget: target as never, repeaterBuffer: new SlidingBuffer(SUBSCRIPTION_BUFFER) }).subscribe(...args)) as typeof pubSub.subscribe,
    ready: target.ready,
    stop: () => target.stop(),
  };
}
