import type { DataSource } from 'typeorm';
import type { Config } from './config';
import type { Logger } from './common/logger';
import type { Principal } from './auth/principal';
import { createLoaders, type Loaders } from './loaders';
import type { EventBus } from './db/event-bus';

/** Everything a resolver and service needs for one request (or one subscription event). */
export interface Context {
  requestId: string;
  log: Logger;
  db: DataSource;
  config: Config;
  principal: Principal | null;
  loaders: Loaders;
  /** Per-request memo, e.g. the key's visible scope ids. */
  memo: Map<string, Promise<unknown>>;
  /** Events of every instance (LISTEN/NOTIFY), for subscriptions; absent outside a server. */
  bus?: EventBus;
}

export function createContext(base: { requestId: string; log: Logger; db: DataSource; config: Config; principal: Principal | null; bus?: EventBus }): Context {
  return { ...base, loaders: createLoaders(base.db), memo: new Map() };
}

/** Computes a value once per request. */
export function memo<T>(ctx: Context, key: string, compute: () => Promise<T>): Promise<T> {
  let value = ctx.memo.get(key) as Promise<T> | undefined;
  if (!value) {
    value = compute();
    ctx.memo.set(key, value);
  }
  return value;
}
