import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { generateDataset } from './dataset';
import { startBenchEnv, type CaseResult } from './harness';
import { nestedRead } from './cases/nested-read';
import { relatedRequirements } from './cases/related-requirements';
import { catalogImport } from './cases/catalog-import';
import { coverageCase, seedCoverageScope } from './cases/coverage';
import { subscriptionFanout } from './cases/subscription-fanout';
import { riskMetricsCase } from './cases/risk-metrics';
import { nhiPostureCases } from './cases/nhi-posture';
import { webhookDeliveryCases } from './cases/webhook-delivery';
import { authOverheadCases } from './cases/auth-overhead';

/**
 * `npm run bench [-- --risks 5000 --requests 30 --concurrency 2 --cases nested,related,import,coverage,metrics,fanout,nhi,webhooks,auth --subscribers 1000 --nhis 50000 --webhook-events 500 --json]`: generates a dataset,
 * runs every case against the built server (its own process) and against its baseline in the
 * same run, and prints one table (or JSON with --json).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      risks: { type: 'string', default: '5000' },
      requests: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
      cases: { type: 'string', default: 'nested,related,import,coverage,metrics,fanout,nhi,webhooks,auth' },
      subscribers: { type: 'string', default: '1000' },
      nhis: { type: 'string', default: '50000' },
      'webhook-events': { type: 'string', default: '500' },
    },
  });
  const risks = Number(values.risks);
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const chosen = new Set(values.cases!.split(',').map((c) => c.trim()));
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
  const env = await startBenchEnv();
  const results: CaseResult[] = [];
  try {
    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    const counts = await generateDataset(client, { risks });
    await client.end();
    process.stderr.write(`dataset: ${JSON.stringify(counts)}\n`);
    if (want('nested')) await attempt('nested', async () => { results.push(await nestedRead(env, { requests, concurrency, expectedRisks: counts.risks })); });
    if (want('related')) await attempt('related', async () => { results.push(await relatedRequirements(env, { concurrency })); });
    if (want('import') || want('coverage')) {
      const imported = await catalogImport(env, { requests: 5 });
      results.push({ ...imported, notes: `${Math.round(imported.rows * imported.server.perSecond)} rows/s through the API` });
    }
    if (want('coverage')) {
      // the first import above is the SP 800-53 catalog the coverage scope adopts
      const sp80053 = `sp800-53-bench-${process.pid}-0`;
      const scopeId = await seedCoverageScope(env, { controls: 2000, links: 6000, extraFrameworkKey: sp80053 });
      for (const frameworkKey of ['iso27001-2022', 'nist-csf-2.0', sp80053]) {
        for (const kind of ['coverage', 'gapAssessment'] as const) {
          results.push(await coverageCase(env, { scopeId, frameworkKey, kind, requests, concurrency }));
        }
      }
    }
    if (want('metrics')) await attempt('metrics', async () => { results.push(await riskMetricsCase(env, { risks: Math.max(50_000, risks), requests, concurrency })); });
    if (want('fanout')) await attempt('fanout', async () => { results.push(await subscriptionFanout(env, { subscribers: Number(values.subscribers), reminders: 10 })); });
    if (want('nhi')) results.push(...await nhiPostureCases(env, { nhis: Number(values.nhis), requests, concurrency }));
    if (want('webhooks')) await attempt('webhooks', async () => { results.push(...await webhookDeliveryCases(env, { events: Number(values['webhook-events']), writeConcurrency: 8 })); });
    // a trivial query is quick: many more requests than the other cases, so the ratio is stable
    if (want('auth')) results.push(...await authOverheadCases(env, { requests: requests * 100, concurrency }));
  } finally {
    await env.close();
  }
  const cases = results.map((r) => ({
    case: r.name,
    serverPerSecond: round(r.server.perSecond),
    serverP50Ms: round(r.server.p50Ms),
    serverP95Ms: round(r.server.p95Ms),
    baseline: r.baselineName,
    baselinePerSecond: round(r.baseline.perSecond),
    baselineP50Ms: round(r.baseline.p50Ms),
    baselineP95Ms: round(r.baseline.p95Ms),
    throughputRatio: round(r.server.perSecond / r.baseline.perSecond),
    p50Ratio: round(r.server.p50Ms / r.baseline.p50Ms),
    sqlStatementsPerRequest: r.statementsPerRequest,
    notes: r.notes ?? '',
  }));
  if (values.json) process.stdout.write(`${JSON.stringify({ risks, requests, concurrency, cases, failures }, null, 2)}\n`);
  else console.table(cases);
  if (failures.length) {
    process.stderr.write(`failed cases:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
