import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, runningPostmaster } from '../../src/db/embedded';

/**
 * The README's path, automated against the compiled build (`pretest` builds it): the server runs
 * as a real process on embedded PostgreSQL in an empty DATA_DIR, the CLI creates a key while the
 * server holds that database, a client queries over HTTP, SIGTERM stops everything, and a restart
 * on the same DATA_DIR finds the data again.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'create-api-key.js');
const KEY_LINE = /^isms_[0-9A-Za-z]{46}\n$/;
const isRoot = process.getuid?.() === 0;

jest.setTimeout(120_000);

interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const tempDirs: string[] = [];
const dataDirs: string[] = [];

/** The environment `npm start` would see: no DATABASE_URL (embedded PostgreSQL), no test settings. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEST_ADMIN_URL', 'TEST_TEMPLATE_DB', 'NODE_ENV', 'PORT', 'DATA_DIR', 'EMBEDDED_PG_PORT', 'LOG_LEVEL', 'ALLOW_ANONYMOUS_READ']) {
    delete env[name];
  }
  return { ...env, ...extra };
}

async function tempDir(mode = 0o755): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isms-graph-e2e-'));
  await fs.chmod(dir, mode);
  tempDirs.push(dir);
  return dir;
}

function spawnServer(env: Record<string, string>): Omit<ServerProcess, 'port' | 'url'> {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts `node dist/src/main.js` and waits until /healthz answers (or the process dies). */
async function startServer(dataDir: string, extra: Record<string, string> = {}): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startServerOnce(dataDir, extra);
    } catch (err) {
      // another worker may take the free port between the probe and the listen: try another one
      if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function startServerOnce(dataDir: string, extra: Record<string, string>): Promise<ServerProcess> {
  if (!dataDirs.includes(dataDir)) dataDirs.push(dataDir);
  const port = await freePort();
  const proc = spawnServer({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', ...extra });
  const url = `http://127.0.0.1:${port}`;
  let dead: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((how) => (dead = how));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`server exited early (${JSON.stringify(dead)})\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return { ...proc, port, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not become healthy in time\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`);
}

async function stop(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM') {
  server.child.kill(signal);
  return server.exited;
}

function runCli(dataDir: string, args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv({ DATA_DIR: dataDir, ...extra }), timeout: 90_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function gql(server: ServerProcess, key: string | null, query: string, variables?: Record<string, unknown>) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

interface EmbeddedState {
  port: number;
  clusterDir: string;
}
const stateOf = (dataDir: string): EmbeddedState => JSON.parse(readFileSync(path.join(dataDir, 'embedded-pg.json'), 'utf8')) as EmbeddedState;

/** True when something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
  // No postgres may outlive the suite: stop any postmaster left on our clusters, by its own pid.
  for (const dataDir of dataDirs) {
    let state: EmbeddedState | undefined;
    try {
      state = stateOf(dataDir);
    } catch {
      continue;
    }
    const pid = runningPostmaster(state.clusterDir);
    if (pid !== undefined) {
      process.kill(pid, 'SIGINT');
      if (!(await waitGone(pid, 10_000))) process.kill(pid, 'SIGKILL');
    }
    // a cluster outside DATA_DIR (the root fallback) lives in its own folder under the temp dirs
    if (path.dirname(state.clusterDir) !== dataDir) await fs.rm(path.dirname(state.clusterDir), { recursive: true, force: true });
  }
  for (const dir of tempDirs) await fs.rm(dir, { recursive: true, force: true });
});

test('the README path: empty DATA_DIR, key from the CLI while the server runs, query, SIGTERM, restart keeps the data', async () => {
  const dataDir = path.join(await tempDir(0o755), 'data'); // does not exist yet: the server creates it
  const server = await startServer(dataDir);
  expect(server.stdout()).toContain('isms-graph ready');

  const health = await fetch(`${server.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${server.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready' });

  const state = stateOf(dataDir);
  expect(state.clusterDir).toBe(path.join(dataDir, 'pg')); // a reachable DATA_DIR holds its own cluster
  const postmaster = runningPostmaster(state.clusterDir);
  expect(postmaster).toEqual(expect.any(Number));

  // The CLI reaches the embedded database the running server holds; stdout is the key alone.
  const cli = await runCli(dataDir, ['--name', 'first key', '--permissions', 'admin', '--owner-name', 'Sec Team'], { LOG_LEVEL: 'info' });
  expect(cli).toMatchObject({ code: 0 });
  expect(cli.stdout).toMatch(KEY_LINE);
  expect(cli.stderr).toContain(`using the embedded PostgreSQL already running on port ${state.port}`);
  expect(runningPostmaster(state.clusterDir)).toBe(postmaster); // the CLI did not start or stop a cluster
  const key = cli.stdout.trim();

  const anonymous = await gql(server, null, '{ owners { totalCount } }');
  expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

  const created = await gql(server, key, 'mutation($input: CreateOwnerInput!) { createOwner(input: $input) { id name kind version } }', {
    input: { kind: 'PERSON', name: 'Ada Lovelace', email: 'ada@example.com' },
  });
  expect(created.status).toBe(200);
  expect(created.body.errors).toBeUndefined();
  expect(created.body.data.createOwner).toMatchObject({ name: 'Ada Lovelace', kind: 'PERSON', version: 1 });
  expect(created.headers.get('x-request-id')).toMatch(/\S+/);

  const owners = await gql(server, key, '{ owners(orderBy: { field: NAME, direction: ASC }) { totalCount edges { node { name } } } }');
  expect(owners.body.errors).toBeUndefined();
  expect(owners.body.data.owners.totalCount).toBe(2);
  expect(owners.body.data.owners.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['Ada Lovelace', 'Sec Team']);

  // SIGTERM: exit code 0, and the embedded PostgreSQL is shut down cleanly (postmaster.pid removed).
  const first = await stop(server);
  expect(first).toEqual({ code: 0, signal: null });
  expect(server.stdout()).toContain('"msg":"stopped"');
  expect(await waitGone(postmaster!, 5_000)).toBe(true);
  expect(existsSync(path.join(state.clusterDir, 'postmaster.pid'))).toBe(false);
  expect(await listening(state.port)).toBe(false);
  expect(server.stderr()).toBe('');

  // With no server running the CLI starts the cluster itself, and stops it again.
  const offline = await runCli(dataDir, ['--name', 'second key', '--permissions', 'isms:read', '--owner-name', 'Sec Team']);
  expect(offline).toMatchObject({ code: 0 });
  expect(offline.stdout).toMatch(KEY_LINE);
  expect(runningPostmaster(state.clusterDir)).toBeUndefined();
  const readKey = offline.stdout.trim();

  // Restart on the same DATA_DIR: the cluster, the schema and the data are reused.
  const again = await startServer(dataDir);
  expect(again.stdout()).not.toContain('initialising embedded PostgreSQL');
  expect(again.stdout()).not.toContain('migrations applied');
  const after = await gql(again, key, '{ owners(filter: { nameContains: "Ada" }) { totalCount edges { node { name version } } } }');
  expect(after.body.errors).toBeUndefined();
  expect(after.body.data.owners).toEqual({ totalCount: 1, edges: [{ node: { name: 'Ada Lovelace', version: 1 } }] });
  const viaReadKey = await gql(again, readKey, '{ owners { totalCount } }');
  expect(viaReadKey.body.data.owners.totalCount).toBe(2); // one "Sec Team" owner: the CLI reused it
  const denied = await gql(again, readKey, 'mutation { createOwner(input: { kind: TEAM, name: "Nope" }) { id } }');
  expect(denied.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');

  const restartedPostmaster = runningPostmaster(state.clusterDir);
  expect(await stop(again)).toEqual({ code: 0, signal: null });
  expect(await waitGone(restartedPostmaster!, 5_000)).toBe(true);
  expect(runningPostmaster(state.clusterDir)).toBeUndefined();
});

describe('a bad configuration value stops the process with one line naming the variable', () => {
  test.each([
    ['PORT', 'abc'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['EMBEDDED_PG_PORT', '70000'],
    ['BODY_LIMIT', 'lots'],
    ['MAX_QUERY_DEPTH', '1'],
    ['ALLOW_ANONYMOUS_READ', 'maybe'],
    ['DATABASE_URL', 'mysql://user@host/db'],
  ])('%s=%s', async (name, value) => {
    const dataDir = path.join(await tempDir(), 'never-created');
    const proc = spawnServer({ DATA_DIR: dataDir, PORT: String(await freePort()), [name]: value });
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      proc.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after 30 s: ${proc.stdout()}`)), 30_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = proc.stderr().split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(lines[0]).toContain('configuration error');
    expect(proc.stdout()).toBe('');
    expect(existsSync(dataDir)).toBe(false); // nothing was started
  });
});

test('a DATA_DIR inside a private (0700) directory works, also as root; SIGINT stops it cleanly', async () => {
  const outer = await tempDir(0o755);
  const privateDir = path.join(outer, 'private');
  await fs.mkdir(privateDir, { mode: 0o700 });
  await fs.chmod(privateDir, 0o700); // regardless of the umask
  const dataDir = path.join(privateDir, 'data');

  const server = await startServer(dataDir);
  const state = stateOf(dataDir);
  if (isRoot) {
    // PostgreSQL runs as the postgres user, which cannot enter the private folder: the cluster
    // lives in a reachable place and the log says where.
    expect(state.clusterDir.startsWith(privateDir)).toBe(false);
    expect(server.stdout()).toContain('is not reachable by the postgres user');
  } else {
    expect(state.clusterDir).toBe(path.join(dataDir, 'pg'));
  }
  expect(existsSync(path.join(state.clusterDir, 'PG_VERSION'))).toBe(true);

  const cli = await runCli(dataDir, ['--name', 'private key', '--permissions', 'admin', '--owner-name', 'Private Team', '--owner-kind', 'TEAM']);
  expect(cli).toMatchObject({ code: 0 });
  expect(cli.stdout).toMatch(KEY_LINE);
  const key = cli.stdout.trim();

  const created = await gql(server, key, 'mutation { createOwner(input: { kind: PERSON, name: "Grace Hopper" }) { id } }');
  expect(created.body.errors).toBeUndefined();
  const owners = await gql(server, key, '{ owners { totalCount } }');
  expect(owners.body.data.owners.totalCount).toBe(2);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  const postmaster = runningPostmaster(state.clusterDir);
  expect(postmaster).toEqual(expect.any(Number));
  expect(await stop(server, 'SIGINT')).toEqual({ code: 0, signal: null });
  expect(await waitGone(postmaster!, 5_000)).toBe(true);
  expect(existsSync(path.join(state.clusterDir, 'postmaster.pid'))).toBe(false);

  // and the data survives a restart from the private folder too
  const again = await startServer(dataDir);
  const reread = await gql(again, key, '{ owners { totalCount } }');
  expect(reread.body.data.owners.totalCount).toBe(2);
  expect(await stop(again)).toEqual({ code: 0, signal: null });
});

test('a port already in use fails the start with one line, exit code 1, and stops the embedded PostgreSQL', async () => {
  const dataDir = path.join(await tempDir(), 'data');
  dataDirs.push(dataDir);
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const proc = spawnServer({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });
    const result = await proc.exited;
    expect(result).toEqual({ code: 1, signal: null });
    const lines = proc.stderr().split('\n').filter((line) => line.length > 0);
    expect(lines).toEqual([expect.stringMatching(/^isms-graph: failed to start: .*EADDRINUSE/)]);
    const state = stateOf(dataDir); // the database had started before the listen failed...
    expect(runningPostmaster(state.clusterDir)).toBeUndefined(); // ...and was stopped again
    expect(existsSync(path.join(state.clusterDir, 'postmaster.pid'))).toBe(false);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('SIGTERM while the embedded PostgreSQL is still starting stops it and exits 0', async () => {
  const dataDir = path.join(await tempDir(), 'data');
  dataDirs.push(dataDir);
  const proc = spawnServer({ DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'info' });
  // the state file is written just before PostgreSQL starts: signal the process right then
  const deadline = Date.now() + 60_000;
  while (!existsSync(path.join(dataDir, 'embedded-pg.json'))) {
    if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`never got to start PostgreSQL:\n${proc.stdout()}\n${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toEqual({ code: 0, signal: null });
  expect(proc.stdout()).toContain('"msg":"stopped"');
  const state = stateOf(dataDir);
  expect(runningPostmaster(state.clusterDir)).toBeUndefined();
  expect(existsSync(path.join(state.clusterDir, 'postmaster.pid'))).toBe(false);
});
