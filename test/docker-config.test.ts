import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';

/**
 * Docker cannot run on the development machine, so the scale-out files are checked here against
 * the code they configure: the service topology, a configuration every replica accepts, a pool
 * budget PostgreSQL can take, and an nginx that passes WebSocket upgrades and the API's body limit.
 */

const dockerDir = path.resolve(__dirname, '..', 'docker');
const compose = parse(fs.readFileSync(path.join(dockerDir, 'compose.yaml'), 'utf8'));
const nginx = fs.readFileSync(path.join(dockerDir, 'nginx.conf'), 'utf8');

/** `${NAME:-default}` as docker compose substitutes it when NAME is unset. */
const substitute = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

test('compose runs PostgreSQL, three API replicas built from the Dockerfile, and a load balancer in front', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['api', 'db', 'lb']);
  expect(compose.services.db.image).toMatch(/^postgres:/);
  expect(compose.services.api.build.dockerfile).toBe('docker/Dockerfile');
  expect(compose.services.api.deploy.replicas).toBe(3);
  expect(compose.services.api.depends_on.db.condition).toBe('service_healthy');
  expect(compose.services.lb.image).toMatch(/^nginx:/);
  expect(compose.services.lb.volumes).toContain('./nginx.conf:/etc/nginx/nginx.conf:ro');
});

test("every replica's environment is a configuration the server accepts, on the compose database", () => {
  const env = Object.fromEntries(Object.entries(compose.services.api.environment as Record<string, string>).map(([k, v]) => [k, substitute(String(v))]));
  const config = loadConfig(env);
  expect(config.databaseUrl).toBe('postgres://isms:isms@db:5432/isms');
  expect(config.nodeEnv).toBe('production');
  // PostgreSQL's default max_connections is 100; leave room for migrations, BI and admin sessions
  expect(config.dbPoolSize * compose.services.api.deploy.replicas).toBeLessThanOrEqual(60);
});

test('nginx proxies /graphql with WebSocket upgrades and lets the largest accepted body through', () => {
  const graphqlBlock = nginx.slice(nginx.indexOf('location = /graphql'), nginx.indexOf('}', nginx.indexOf('location = /graphql')));
  expect(graphqlBlock).toContain('proxy_set_header Upgrade $http_upgrade');
  expect(graphqlBlock).toContain('proxy_set_header Connection $connection_upgrade');
  expect(graphqlBlock).toMatch(/proxy_read_timeout 1h/);
  const [, megabytes] = /client_max_body_size (\d+)m;/.exec(nginx)!;
  expect(Number(megabytes) * 1024 * 1024).toBeGreaterThanOrEqual(loadConfig({}).bodyLimitBytes);
  expect(nginx).toMatch(/server api:4000 resolve;/);
});
