import pg from 'pg';
import { markIfUnavailable } from '../common/errors';

/**
 * The `pg` module TypeORM is given as its driver: the same module, except that an error meaning
 * "the database is unreachable" is marked UNAVAILABLE where it arises (see markIfUnavailable), so
 * every path a request takes to the database answers it the same way without each catching it.
 */

// `any`: pg's callbacks differ per overload
type Callback = (err: any, ...rest: any[]) => void;

const marked = (callback: Callback): Callback => (err, ...rest) => callback(markIfUnavailable(err), ...rest);

/** Statements that fail because the connection died (the server shut down, the socket reset). */
class MarkingClient extends pg.Client {
  // one signature standing in for every overload of query
  override query(...args: unknown[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') args[last] = marked(args[last] as Callback);
    const result = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(markIfUnavailable(err))) : result;
  }
}

/** Checkouts that fail: refused or timed-out connects, and the pool's own wait timeout. */
class MarkingPool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super({ ...config, Client: MarkingClient });
  }

  // one signature standing in for both overloads of connect
  override connect(callback?: Callback): any {
    if (callback) return super.connect(marked(callback) as never);
    return super.connect().catch((err: unknown) => Promise.reject(markIfUnavailable(err)));
  }
}

// `native: null` keeps TypeORM on this JavaScript client even where pg-native is installed
export const markingPg = Object.create(pg, { Pool: { value: MarkingPool }, Client: { value: MarkingClient }, native: { value: null } }) as typeof pg;
