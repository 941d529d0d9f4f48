/**
 * docker-compose equivalence: no Docker engine runs here, so a compose file's services start as
 * local processes. A service built from this repository (or using its image) runs its `command`
 * with bin/fluss (the image's entrypoint is `fluss`) and the service's FLUSS_PROPERTIES; any
 * other service runs its `command` as a binary from the PATH (etcd). `deploy.replicas` is
 * honoured and `depends_on` with `service_healthy` waits for the service's own health check.
 *
 * Each container has its own network namespace, so the same container port in two services
 * must become two local ports: every (service, container port) maps to a free loopback port,
 * a published `host:container` port is reached through that service's local port, and a
 * replicated service's own ports become 0 (any free port). Service host names resolve to
 * loopback, as the values of address and host keys and in URLs (`http://etcd:2379`); a port key (`jobmanager.rpc.port`)
 * belongs to the service its address key (`jobmanager.rpc.address`) names, else to the service
 * itself. Container paths (of keys and flags ending in `dir` or `dirs`) move into a temp dir: a named volume's mount to one directory every
 * service mounting that volume shares, any other path to a directory of the container's own.
 */
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Daemon, FLUSS_BIN, freePort, ROOT, startProcess } from './process-cluster.js';

/** The parts of a compose service the equivalence reads. */
export interface ComposeService {
  command?: string[];
  image?: string;
  build?: unknown;
  hostname?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
}

/** A compose file. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** One started container: a service's replica as a local process. */
export interface ComposeContainer {
  service: string;
  replica: number;
  daemon: Daemon;
  /** FLUSS_PROPERTIES as rewritten for this process ('' for a non-Fluss service). */
  properties: string;
}

/** Reads a compose file of the repository. */
export function readCompose(file: string): ComposeFile {
  return parseYaml(readFileSync(join(ROOT, file), 'utf8')) as ComposeFile;
}

/** Services in depends_on order. */
export function startOrder(services: Record<string, ComposeService>): string[] {
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    for (const d of Object.keys(dependencies(services[name]!))) visit(d);
    order.push(name);
  };
  Object.keys(services).forEach(visit);
  return order;
}

function dependencies(svc: ComposeService): Record<string, string> {
  const deps = svc.depends_on;
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps ?? {}).map(([d, c]) => [d, c.condition ?? 'service_started']));
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
const LOOPBACKS = new Set(['localhost', '127.0.0.1']);

/** Replaces every match of `re` (global) by the awaited `fn` of it. */
async function replaceAsync(text: string, re: RegExp, fn: (m: RegExpExecArray) => Promise<string>): Promise<string> {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(re)) {
    out += text.slice(last, m.index) + (await fn(m as RegExpExecArray));
    last = m.index! + m[0].length;
  }
  return out + text.slice(last);
}

/** The services of one compose file running as local processes. */
export class ComposeCluster {
  readonly compose: ComposeFile;
  readonly workDir = mkdtempSync(join(tmpdir(), 'fluss-compose-'));
  readonly containers: ComposeContainer[] = [];
  private readonly ports = new Map<string, number>();
  private readonly flussImages: Set<string | undefined>;
  private advertiseLoopback = false;

  constructor(readonly file: string) {
    this.compose = readCompose(file);
    this.flussImages = new Set(Object.values(this.compose.services).filter((s) => s.build !== undefined).map((s) => s.image));
  }

  /** The local port of `service`'s container port (allocated on first use). */
  async portOf(service: string, containerPort: number): Promise<number> {
    const key = `${service}:${containerPort}`;
    if (!this.ports.has(key)) this.ports.set(key, await freePort());
    return this.ports.get(key)!;
  }

  /** The local port that the published host port `hostPort` of `service` reaches. */
  async published(service: string, hostPort: number): Promise<number> {
    const mapping = this.compose.services[service]!.ports?.map((p) => p.split(':').map(Number)).find((p) => p.at(-2) === hostPort);
    if (!mapping) throw new Error(`${service} publishes no host port ${hostPort}`);
    return this.portOf(service, mapping.at(-1)!);
  }

  /** The local path of a container path of `service`'s replica `replica`. */
  localPath(service: string, containerPath: string, replica = 0): string {
    const named = Object.keys(this.compose.volumes ?? {});
    const mounts = (this.compose.services[service]!.volumes ?? [])
      .map((v) => v.split(':'))
      .filter(([name]) => named.includes(name!))
      .sort((a, b) => b[1]!.length - a[1]!.length);
    for (const [name, mount] of mounts) {
      if (containerPath === mount || containerPath.startsWith(`${mount!}/`)) return join(this.workDir, 'volumes', name!, containerPath.slice(mount!.length));
    }
    return join(this.workDir, 'containers', `${service}-${replica}`, containerPath);
  }

  /** The value of `key` (a property or a `--flag`) of a container, rewritten for this machine. */
  private async localValue(key: string, value: string, service: string, replica: number): Promise<string> {
    const services = this.compose.services;
    // Only directory keys hold paths: high-availability.cluster-id: /compose is a name.
    if (/dirs?$/i.test(key) && value.startsWith('/')) return value.split(',').map((p) => this.localPath(service, p.trim(), replica)).join(',');
    return replaceAsync(value, /\b([a-z][a-z0-9+.-]*:\/\/)([\w.-]+):(\d+)/g, async ([, scheme, host, port]) => {
      if (services[host!]) return `${scheme}127.0.0.1:${await this.portOf(host!, Number(port))}`;
      if (WILDCARDS.has(host!) || LOOPBACKS.has(host!)) return `${scheme}127.0.0.1:${await this.ownPort(service, Number(port))}`;
      return `${scheme}${host}:${port}`;
    });
  }

  /** A service's own container port: a free port per replica when replicated. */
  private async ownPort(service: string, port: number): Promise<number> {
    return (this.compose.services[service]!.deploy?.replicas ?? 1) > 1 ? 0 : this.portOf(service, port);
  }

  /** FLUSS_PROPERTIES of one container, rewritten for a process on this machine. */
  private async localProperties(service: string, replica: number): Promise<string> {
    const entries = (this.compose.services[service]!.environment?.['FLUSS_PROPERTIES'] ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
    const given = new Map(entries);
    const out: string[] = [];
    for (const [key, value] of entries) {
      if (key.endsWith('.port')) {
        const owner = given.get(`${key.slice(0, -'.port'.length)}.address`);
        const port = Number(value);
        out.push(`${key}: ${owner && owner !== service && this.compose.services[owner] ? await this.portOf(owner, port) : await this.ownPort(service, port)}`);
      } else {
        // A service's name as an address or host is its host name (jobmanager.rpc.address: jobmanager).
        const host = /(address|host)$/.test(key) && this.compose.services[value];
        out.push(`${key}: ${host ? '127.0.0.1' : await this.localValue(key, value, service, replica)}`);
      }
    }
    // Inside compose a wildcard-bound TaskManager advertises its container's host name, which
    // the compose network resolves. Here it must resolve too, or the stand-in is loopback.
    if (this.advertiseLoopback && WILDCARDS.has(given.get('taskmanager.bind-host') ?? '') && !given.has('taskmanager.host')) out.push('taskmanager.host: 127.0.0.1');
    return out.join('\n');
  }

  /** Runs a service's health check (`CMD` form) once, against the service's local ports. */
  async healthy(service: string): Promise<boolean> {
    const test = this.compose.services[service]!.healthcheck?.test;
    if (!test) throw new Error(`${service} has no health check`);
    const [form, command, ...rest] = test;
    if (form !== 'CMD') throw new Error(`${service}: only CMD health checks are supported, not ${form}`);
    const args: string[] = [];
    for (const a of rest) {
      args.push(await replaceAsync(a, /\b(127\.0\.0\.1|localhost):(\d+)/g, async ([, host, port]) => `${host}:${await this.portOf(service, Number(port))}`));
    }
    // etcdctl's default endpoint is the container's own 127.0.0.1:2379.
    if (command === 'etcdctl' && !args.some((a) => a.startsWith('--endpoints'))) args.push(`--endpoints=127.0.0.1:${await this.portOf(service, 2379)}`);
    const proc = spawn(command === 'node' ? process.execPath : command!, args, { stdio: 'ignore' });
    return new Promise((res) => {
      proc.on('error', () => res(false));
      proc.on('exit', (code) => res(code === 0));
    });
  }

  /** Polls a service's health check for up to 60 s; fails at once when its processes exited. */
  private async waitHealthy(service: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    const exited = (): boolean => this.containers.filter((c) => c.service === service).every((c) => c.daemon.proc.exitCode !== null || c.daemon.proc.signalCode !== null);
    while (!(await this.healthy(service))) {
      if (exited()) throw new Error(`${service} exited before it was healthy\n${this.logs()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${service} to be healthy\n${this.logs()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Starts every service in depends_on order, waiting for the health of those depended on. */
  async start(): Promise<void> {
    this.advertiseLoopback = await lookup(hostname()).then(() => false, () => true);
    const healthy = new Set<string>();
    for (const name of startOrder(this.compose.services)) {
      const svc = this.compose.services[name]!;
      for (const [dep, condition] of Object.entries(dependencies(svc))) {
        if (condition !== 'service_healthy' || healthy.has(dep)) continue;
        await this.waitHealthy(dep);
        healthy.add(dep);
      }
      for (let i = 0; i < (svc.deploy?.replicas ?? 1); i++) await this.startContainer(name, i);
    }
  }

  private async startContainer(service: string, replica: number): Promise<void> {
    const svc = this.compose.services[service]!;
    mkdirSync(join(this.workDir, 'containers', `${service}-${replica}`), { recursive: true });
    for (const v of svc.volumes ?? []) mkdirSync(this.localPath(service, v.split(':')[1]!, replica), { recursive: true });
    if (this.flussImages.has(svc.image)) {
      const properties = await this.localProperties(service, replica);
      const daemon = startProcess(process.execPath, [FLUSS_BIN, ...(svc.command ?? [])], { FLUSS_PROPERTIES: properties });
      this.containers.push({ service, replica, daemon, properties });
      return;
    }
    const [command, ...rest] = svc.command ?? [];
    if (!command) throw new Error(`${service} runs image ${svc.image} without a command`);
    const args: string[] = [];
    for (const a of rest) {
      const eq = a.indexOf('=');
      args.push(a.startsWith('--') && eq > 0 ? `${a.slice(0, eq)}=${await this.localValue(a.slice(0, eq), a.slice(eq + 1), service, replica)}` : await this.localValue('', a, service, replica));
    }
    this.containers.push({ service, replica, daemon: startProcess(command, args), properties: '' });
  }

  /** The container of `service`'s replica `replica`. */
  container(service: string, replica = 0): ComposeContainer {
    const c = this.containers.find((x) => x.service === service && x.replica === replica);
    if (!c) throw new Error(`no container ${service}-${replica}`);
    return c;
  }

  /** The tails of every container's log. */
  logs(chars = 2000): string {
    return this.containers.map((c) => `--- ${c.service}-${c.replica}\n${c.daemon.stderr().slice(-chars)}`).join('\n');
  }

  /** Stops every container and removes the temp dir. */
  async stop(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.daemon.kill()));
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
