/**
 * docker-compose equivalence: no Docker engine runs here, so this reads docker-compose.yml and
 * starts each service's `command` (the image's entrypoint is `fluss`) as a local process from
 * bin/fluss with the service's FLUSS_PROPERTIES, honouring `replicas`. Service host names
 * resolve to loopback, published ports map to free local ports, a replicated service's own
 * ports become 0 (each container has its own network namespace), and container paths move into
 * a temp dir. The cluster it describes must come up and run a bounded job to FINISHED.
 */
import { lookup } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, freePort, ROOT, runCli, startDaemon, waitFor, type Daemon } from '../helpers/process-cluster.js';

interface ComposeService {
  command?: string[];
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile;
const workDir = mkdtempSync(join(tmpdir(), 'fluss-compose-'));
const daemons: { name: string; daemon: Daemon }[] = [];
let jobManagerAddress = '';
let restBase = '';

/** Services in depends_on order. */
function startOrder(services: Record<string, ComposeService>): string[] {
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    const deps = services[name]!.depends_on;
    for (const d of Array.isArray(deps) ? deps : Object.keys(deps ?? {})) visit(d);
    order.push(name);
  };
  Object.keys(services).forEach(visit);
  return order;
}

/** FLUSS_PROPERTIES of one container, rewritten for a process on this machine. */
function localProperties(text: string, opts: { service: string; replica: number; replicated: boolean; portMap: Map<number, number>; advertiseLoopback: boolean }): string {
  const serviceNames = new Set(Object.keys(compose.services));
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const idx = line.indexOf(':');
    const key = line.slice(0, idx).trim();
    let value = line.slice(idx + 1).trim();
    if (serviceNames.has(value)) value = '127.0.0.1';
    if (key.endsWith('.port')) {
      const port = Number(value);
      // A replicated service binds the same container port in every container: here, any free port.
      value = String(opts.portMap.get(port) ?? (opts.replicated ? 0 : port));
    }
    value = value
      .replace(/^\/data\/fluss/, join(workDir, 'data'))
      .replace(/^\/tmp\/fluss/, join(workDir, `tmp-${opts.service}-${opts.replica}`));
    out.push(`${key}: ${value}`);
  }
  if (opts.advertiseLoopback && /taskmanager\.bind-host: (0\.0\.0\.0|::)/.test(out.join('\n'))) out.push('taskmanager.host: 127.0.0.1');
  return out.join('\n');
}

beforeAll(async () => {
  assertBuilt();
  // Inside compose a wildcard-bound TaskManager advertises its host name, which the compose
  // network resolves. Here it must resolve too, or the stand-in is loopback.
  const advertiseLoopback = await lookup(hostname()).then(() => false, () => true);
  const jm = compose.services['jobmanager']!;
  const portMap = new Map<number, number>();
  for (const p of jm.ports ?? []) portMap.set(Number(p.split(':').pop()), await freePort());
  for (const name of startOrder(compose.services)) {
    const svc = compose.services[name]!;
    const replicas = svc.deploy?.replicas ?? 1;
    for (let i = 0; i < replicas; i++) {
      const props = localProperties(svc.environment?.['FLUSS_PROPERTIES'] ?? '', { service: name, replica: i, replicated: replicas > 1, portMap, advertiseLoopback });
      daemons.push({ name: `${name}-${i}`, daemon: startDaemon(svc.command ?? [], { FLUSS_PROPERTIES: props }) });
    }
    if (name === 'jobmanager') {
      jobManagerAddress = `127.0.0.1:${portMap.get(6123)}`;
      restBase = `http://127.0.0.1:${portMap.get(8081)}`;
      // depends_on: service_healthy — the compose health check asks the REST API.
      await waitFor('the JobManager to be healthy', async () => (await fetch(`${restBase}/overview`)).ok, 30_000);
    }
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.daemon.kill()));
  rmSync(workDir, { recursive: true, force: true });
});

const logs = (): string => daemons.map((d) => `--- ${d.name}\n${d.daemon.stderr().slice(-2000)}`).join('\n');

describe('docker-compose.yml describes a working cluster', () => {
  it('declares health checks, named volumes on every service, the REST port and FLUSS_PROPERTIES', () => {
    const named = Object.keys(compose.volumes ?? {});
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.environment?.['FLUSS_PROPERTIES'], name).toBeTruthy();
      expect(svc.volumes?.some((v) => named.includes(v.split(':')[0]!)), `${name} mounts a named volume`).toBe(true);
      expect(svc.command?.[0], name).toMatch(/^(jobmanager|taskmanager)$/);
    }
    const jm = compose.services['jobmanager']!;
    expect(jm.ports).toContain('8081:8081');
    expect(jm.healthcheck?.test.join(' ')).toContain('/overview');
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["fluss"\]$/m);
  });

  it('comes up with two TaskManagers and runs a bounded job to FINISHED via fluss run -m', async () => {
    await waitFor('2 TaskManagers in /overview', async () => ((await (await fetch(`${restBase}/overview`)).json()) as { taskmanagers: number }).taskmanagers === 2, 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });
    const tms = (await (await fetch(`${restBase}/taskmanagers`)).json()) as { taskmanagers: { path: string }[] };
    for (const tm of tms.taskmanagers) expect(tm.path).not.toMatch(/^0\.0\.0\.0:/);

    const jobDir = mkdtempSync(join(workDir, 'job-'));
    const jobFile = join(jobDir, 'bounded.ts');
    writeFileSync(
      jobFile,
      `import { defineJob } from 'fluss';
export default defineJob((env) => {
  env.setParallelism(2);
  env.fromSequence(1, 2000).map((x: number) => x * 2).rebalance().filter((x: number) => x % 3 === 0).addSink(() => {});
});
`,
    );
    const r = await runCli(['run', '-m', jobManagerAddress, jobFile], { FLUSS_PROPERTIES: '' }, 90_000);
    expect(r.code, `${r.stdout}\n${r.stderr}\n${logs()}`).toBe(0);
    const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(r.stdout)?.[1];
    expect(jobId).toBeDefined();
    const job = (await (await fetch(`${restBase}/jobs/${jobId}`)).json()) as { state: string; vertices: { parallelism: number }[] };
    expect(job.state).toBe('FINISHED');
    expect(Math.max(...job.vertices.map((v) => v.parallelism))).toBe(2);
    const overview = await (await fetch(`${restBase}/overview`)).json();
    expect(overview).toMatchObject({ taskmanagers: 2, 'jobs-finished': 1, 'slots-total': 2, 'slots-available': 2 });
  });
});
