import { randomUUID } from 'node:crypto';
import type { Context } from '../../context';
import { createContext } from '../../context';
import { visibleScopeIds } from '../../auth/visibility';

const REFRESH_MS = 30_000;

/**
 * What a subscriber may see, checked per event: a fresh context (its own DataLoaders) per event,
 * and the key's visible scopes re-read at most every 30 s, so a scope added under an allowed one
 * shows up without a query per event and subscriber.
 */
export class SubscriberAccess {
  private scopes: { at: number; ids: Promise<string[] | null> } | null = null;

  constructor(private readonly operation: Context) {}

  /** A fresh context for one event. */
  eventContext(): Context {
    const requestId = randomUUID();
    return createContext({ ...this.operation, requestId, log: this.operation.log.child({ requestId }) });
  }

  allowedScopes(): Promise<string[] | null> {
    const now = Date.now();
    if (!this.scopes || now - this.scopes.at > REFRESH_MS) this.scopes = { at: now, ids: visibleScopeIds(this.eventContext()) };
    return this.scopes.ids;
  }

  /** Scoped events are visible when one of their scopes is allowed; unscoped ones when `unscopedVisible`. */
  async canSee(scopeIds: readonly string[], unscopedVisible: boolean): Promise<boolean> {
    const allowed = await this.allowedScopes();
    if (allowed === null) return true;
    if (scopeIds.length === 0) return unscopedVisible;
    return scopeIds.some((id) => allowed.includes(id));
  }
}

/** Yields the items of `source` that pass `keep`, in order; ends when the source ends. */
export async function* filtered<T>(source: AsyncIterable<T>, keep: (item: T) => Promise<boolean>): AsyncGenerator<T> {
  for await (const item of source) {
    if (await keep(item)) yield item;
  }
}
