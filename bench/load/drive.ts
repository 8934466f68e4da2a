import autocannon from 'autocannon';
import { Latencies } from './stats';
import { CATEGORY, CYCLE, bodyFor, judge, type Category, type Kind, type Pools } from './workload';

export interface DriveOptions {
  urls: string[];
  apiKey: string;
  pools: Pools;
  durationS: number;
  connectionsPerInstance: number;
  /** Titles of the tasks written start with this, so the rows can be counted afterwards. */
  titlePrefix: string;
}

export interface DriveResult {
  seconds: number;
  overall: Latencies;
  byGroup: Map<Kind | Category, Latencies>;
  /** Keyed by instance URL. */
  byInstance: Map<string, Latencies>;
  /** Ids of the tasks whose creation was acknowledged. */
  taskIds: string[];
  /** Connection errors and timeouts (requests without any answer). */
  transportErrors: number;
  /** The first few reasons a response was counted as an error. */
  failures: string[];
}

// a connection finishing its cycle after the deadline needs at most 9 more requests; past this cap autocannon stops anyway
const DRAIN_CAP_S = 60;

/**
 * Runs the mixed workload with autocannon against every URL at once (the connections are spread
 * evenly over them), judging every response body. At the deadline each connection is allowed to
 * finish its current 10-request cycle and then stops, so the counts are exactly 7:2:1.
 */
export async function drive(o: DriveOptions): Promise<DriveResult> {
  const overall = new Latencies();
  const byGroup = new Map<Kind | Category, Latencies>();
  const byInstance = new Map<string, Latencies>(o.urls.map((url) => [url, new Latencies()]));
  const group = (key: Kind | Category) => byGroup.get(key) ?? byGroup.set(key, new Latencies()).get(key)!;
  const taskIds: string[] = [];
  const failures: string[] = [];
  const titles = { prefix: o.titlePrefix, next: 0 };
  // autocannon calls a request's onResponse and then, synchronously, emits 'response' with the
  // response time: the verdict is handed from one to the other through this variable
  let verdict: { kind: Kind; ok: boolean } | null = null;

  const requests: autocannon.Request[] = CYCLE.map((kind) => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${o.apiKey}` },
    setupRequest: (req) => ({ ...req, body: bodyFor(kind, o.pools, titles) }),
    onResponse: (status, body) => {
      const judged = judge(kind, status, body);
      if (judged.taskId) taskIds.push(judged.taskId);
      if (!judged.ok && failures.length < 10) failures.push(`${kind}: ${judged.reason}`);
      verdict = { kind, ok: judged.ok };
    },
  }));

  const clients: autocannon.Client[] = [];
  const started = process.hrtime.bigint();
  let lastResponse = started;
  const instance = autocannon({
    url: o.urls,
    connections: o.connectionsPerInstance * o.urls.length,
    duration: o.durationS + DRAIN_CAP_S,
    timeout: 30,
    requests,
    setupClient: (client) => { clients.push(client); },
  });
  instance.on('response', (client: autocannon.Client, _status: number, _bytes: number, responseTimeMs: number) => {
    const judged = verdict as { kind: Kind; ok: boolean } | null;
    verdict = null;
    if (!judged) throw new Error('autocannon emitted a response without calling onResponse first');
    overall.add(responseTimeMs, judged.ok);
    group(judged.kind).add(responseTimeMs, judged.ok);
    // 'write' and 'coverage' are their own category; reads are also summed over both kinds
    if (CATEGORY[judged.kind] !== judged.kind) group(CATEGORY[judged.kind]).add(responseTimeMs, judged.ok);
    const perInstance = byInstance.get(`http://${client.opts.hostname}:${client.opts.port}`);
    if (!perInstance) throw new Error(`response from an unknown instance ${client.opts.hostname}:${client.opts.port}`);
    perInstance.add(responseTimeMs, judged.ok);
    lastResponse = process.hrtime.bigint();
  });
  const deadline = setTimeout(() => {
    for (const client of clients) client.responseMax = Math.ceil(client.reqsMade / CYCLE.length) * CYCLE.length;
  }, o.durationS * 1000);
  const result = await instance;
  clearTimeout(deadline);
  return {
    seconds: Number(lastResponse - started) / 1e9,
    overall,
    byGroup,
    byInstance,
    taskIds,
    transportErrors: result.errors,
    failures,
  };
}
