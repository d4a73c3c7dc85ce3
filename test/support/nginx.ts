import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';

/** The nginx binary (Debian's `nginx` package, built with the WebDAV module); NGINX_BIN overrides it. */
export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
/** Whether the integration suites can run here. */
export const hasNginx = existsSync(NGINX_BIN);
const inCI = process.env.CI === 'true';

/**
 * Call once at the top of a suite that needs nginx. Where nginx is missing it says so (the suite
 * is skipped with `describe.skipIf(!hasNginx)`), except on CI, where it registers a failing test.
 */
export function requireNginx(suite: string): void {
  if (hasNginx) return;
  const message = `${suite}: ${NGINX_BIN} is not installed (apt-get install nginx), so these integration tests are skipped`;
  if (inCI) {
    it(`${suite}: nginx is installed (CI=true)`, () => {
      throw new Error(`${message} — but CI=true, where .ci/run installs it: failing instead of skipping`);
    });
  } else {
    console.warn(message);
  }
}

/** A free TCP port on 127.0.0.1 (free when returned; the caller binds it soon after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Resolves true when something accepts a TCP connection on 127.0.0.1:`port`. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Processes started here and not yet stopped: killed by pid if the test process exits first. */
const running = new Set<ChildProcess>();
let exitHook = false;

/** A WebDAV-enabled nginx on 127.0.0.1 serving a temporary root: a real HTTP build cache. */
export interface NginxServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** The document root: blobs land in `<root>/ac/<hash>` and `<root>/cas/<hash>`. */
  readonly root: string;
  /** The pid of the running nginx, or undefined while stopped. */
  readonly pid: number | undefined;
  /** Stops nginx (SIGTERM to its pid; SIGKILL if it has not exited within 3 s). Keeps the root. */
  stop(): Promise<void>;
  /** Starts it again on the same port and root (after stop()). */
  start(): Promise<void>;
  /** stop(), then start(): a new process on the same port and root. */
  restart(): Promise<void>;
  /** Stops it and removes its temporary directory. */
  dispose(): Promise<void>;
}

/**
 * Starts nginx with a minimal configuration written into a fresh temporary directory:
 * `daemon off` and `master_process off` (one process, so its pid is all there is to stop and it
 * keeps the user it was started as), every temporary path inside the directory, WebDAV PUT on
 * `/` with `create_full_put_path` and no body size limit. Waits (bounded) until the port accepts
 * connections.
 */
export async function startNginx(options: { readonly port?: number } = {}): Promise<NginxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'resilience-nginx-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const writeConfig = (): string => {
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      `daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
    }
  }
}
`,
    );
    return conf;
  };

  const launch = async (): Promise<void> => {
    const conf = writeConfig();
    const proc = spawn(NGINX_BIN, ['-e', join(dir, 'error.log'), '-p', `${dir}/`, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      running.delete(proc);
    });
    proc.once('error', (error) => {
      exited = true;
      stderr += String(error);
    });
    running.add(proc);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const p of running) if (p.pid !== undefined) process.kill(p.pid, 'SIGKILL');
      });
    }
    for (let i = 0; i < 200; i++) {
      if (exited) {
        const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
        throw new Error(`nginx exited at start (port ${port}): ${stderr}${log}`.trim());
      }
      if (await portAnswers(port)) {
        child = proc;
        return;
      }
      await pause(25);
    }
    await kill(proc);
    throw new Error(`nginx did not answer on 127.0.0.1:${port} within 5 s`);
  };

  // A port found free may be taken before nginx binds it: try another (only when none was asked for).
  for (let tries = 0; ; tries++) {
    try {
      await launch();
      break;
    } catch (error) {
      if (options.port !== undefined || tries >= 3 || !String(error).includes('Address already in use')) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }

  const server: NginxServer = {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    root,
    get pid() {
      return child?.pid;
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (proc !== undefined) await kill(proc);
    },
    async start() {
      if (child !== undefined) throw new Error('nginx is running');
      await launch();
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** SIGTERM by pid, then SIGKILL after 3 s; resolves when the process has exited. */
async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const pid = proc.pid;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(pid, 'SIGKILL');
  }, 3000);
  await exited;
  clearTimeout(timer);
}
