/**
 * docker-compose equivalence for docker-compose.ha.yml (test/helpers/compose-cluster.ts): etcd
 * from its compose command, two JobManagers electing a leader on it and two TaskManagers, all
 * as local processes. One JobManager leads and the other's REST port redirects to it; a job
 * submitted as the file's header describes (the client takes the jobmanager service's
 * high-availability settings and finds the leader on etcd) runs, the leader is SIGKILLed while
 * it runs, the standby takes over and the job finishes with every record written once.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeCluster } from '../helpers/compose-cluster.js';
import { etcdAvailable } from '../helpers/etcd-server.js';
import { assertBuilt, runCli, waitFor } from '../helpers/process-cluster.js';
import { checkOutput, describeCheck, SEQUENCE_JOB } from './exactly-once-harness.js';

const JOB_MANAGERS = ['jobmanager', 'jobmanager-standby'];
const FLUSS_SERVICES = [...JOB_MANAGERS, 'taskmanager'];
// 12 s of data at 1 000 records/s: the job still runs when the leader is killed on a loaded machine.
const RECORDS = 12_000;
const KEYS = 4;

/** The FLUSS_PROPERTIES of a service as a map. */
function properties(cluster: ComposeCluster, service: string): Map<string, string> {
  const text = cluster.compose.services[service]!.environment?.['FLUSS_PROPERTIES'] ?? '';
  return new Map(text.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]));
}

describe.skipIf(!etcdAvailable())('docker-compose.ha.yml describes a working highly available cluster', () => {
  const cluster = new ComposeCluster('docker-compose.ha.yml');
  /** Local port of each JobManager's published REST port. */
  const rest = new Map<string, number>();

  beforeAll(async () => {
    assertBuilt();
    await cluster.start();
    for (const jm of JOB_MANAGERS) {
      const restPort = Number(properties(cluster, jm).get('rest.port'));
      const hostPort = cluster.compose.services[jm]!.ports?.map((p) => p.split(':').map(Number)).find((p) => p.at(-1) === restPort)?.at(-2);
      if (hostPort === undefined) throw new Error(`${jm} does not publish its REST port ${restPort}`);
      rest.set(jm, await cluster.published(jm, hostPort));
    }
  }, 90_000);

  afterAll(async () => {
    await cluster.stop();
  });

  /** The status of a JobManager's /overview without following redirects (0 when it does not answer). */
  const overviewStatus = (jm: string): Promise<number> =>
    fetch(`http://127.0.0.1:${rest.get(jm)}/overview`, { redirect: 'manual' }).then((r) => r.status, () => 0);

  it('gives every Fluss service the same etcd HA settings and each JobManager a REST address the host reaches', () => {
    const ha = ['high-availability.type', 'high-availability.etcd.endpoints', 'high-availability.cluster-id', 'high-availability.storageDir'];
    const first = properties(cluster, 'jobmanager');
    expect(first.get('high-availability.type')).toBe('etcd');
    expect(first.get('high-availability.etcd.endpoints')).toBe('http://etcd:2379');
    for (const svc of FLUSS_SERVICES) {
      const props = properties(cluster, svc);
      for (const key of ha) expect(props.get(key), `${svc} ${key}`).toBe(first.get(key));
      expect(cluster.compose.services[svc]!.volumes, svc).toContain('fluss-data:/data/fluss');
    }
    expect(first.get('high-availability.storageDir')).toMatch(/^\/data\/fluss\//);
    // A standby's redirect names the leader's rest.address:rest.port; a browser on the host
    // follows it only to a host name it resolves and a port published as the same port.
    for (const jm of JOB_MANAGERS) {
      const props = properties(cluster, jm);
      expect(props.get('rest.address'), jm).toBe('localhost');
      expect(cluster.compose.services[jm]!.ports, jm).toContain(`${props.get('rest.port')}:${props.get('rest.port')}`);
    }
    expect(new Set(JOB_MANAGERS.map((jm) => properties(cluster, jm).get('rest.port'))).size).toBe(2);
  });

  it('elects a leader the standby redirects to; after the leader is SIGKILLed the standby takes over and the job finishes exactly once', async () => {
    const statuses = await waitFor<number[] | undefined>('one leading and one standby JobManager', async () => {
      const s = await Promise.all(JOB_MANAGERS.map(overviewStatus));
      return s.includes(200) && s.includes(307) ? s : undefined;
    }, 60_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}\n${cluster.logs()}`);
    });
    const leader = JOB_MANAGERS[statuses!.indexOf(200)]!;
    const standby = JOB_MANAGERS[statuses!.indexOf(307)]!;
    const leaderRest = `http://127.0.0.1:${rest.get(leader)}`;

    // The standby's REST port redirects (307) to the same path on the leader's published port.
    const redirect = await fetch(`http://127.0.0.1:${rest.get(standby)}/overview?x=1`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    const location = new URL(redirect.headers.get('location')!);
    // Service host names became 127.0.0.1 here; in compose only `localhost` leads the host's browser back.
    expect(location.hostname).toBe('localhost');
    expect(Number(location.port)).toBe(rest.get(leader));
    expect(location.pathname + location.search).toBe('/overview?x=1');

    await waitFor('2 TaskManagers at the leader', async () => ((await (await fetch(`${leaderRest}/overview`)).json()) as { taskmanagers: number }).taskmanagers === 2, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${cluster.logs()}`);
    });

    // `docker compose run jobmanager run <job>`: the client has the jobmanager service's settings.
    const jobFile = join(cluster.workDir, 'sequence-job.ts');
    writeFileSync(jobFile, SEQUENCE_JOB);
    const output = cluster.localPath('jobmanager', '/data/fluss/out');
    mkdirSync(output, { recursive: true });
    const submitted = await runCli(
      ['run', '-d', jobFile, output, String(RECORDS), String(KEYS), '1000', '300', '2', '0', '100'],
      { FLUSS_PROPERTIES: cluster.container('jobmanager').properties },
      90_000,
    );
    expect(submitted.code, `${submitted.stdout}\n${submitted.stderr}\n${cluster.logs()}`).toBe(0);
    const jobId = /JobID ([0-9a-f]{32})/.exec(submitted.stdout)![1]!;

    // Kill the leader once the job has completed a checkpoint and while it still runs.
    const checkpoints = join(cluster.localPath(leader, '/data/fluss/checkpoints'), jobId);
    await waitFor('a completed checkpoint', () => existsSync(checkpoints) && readdirSync(checkpoints).some((d) => /^chk-\d+$/.test(d) && existsSync(join(checkpoints, d, '_metadata'))), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${cluster.logs()}`);
    });
    const before = (await (await fetch(`${leaderRest}/jobs/${jobId}`)).json()) as { state: string };
    expect(before.state).toBe('RUNNING');
    await cluster.container(leader).daemon.kill('SIGKILL');

    const takenOver = `http://127.0.0.1:${rest.get(standby)}`;
    await waitFor('the standby to lead', async () => (await overviewStatus(standby)) === 200, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${cluster.logs()}`);
    });
    await waitFor(`job ${jobId} to finish at the new leader`, async () => {
      const job = (await (await fetch(`${takenOver}/jobs/${jobId}`)).json()) as { state?: string };
      if (job.state && ['FAILED', 'CANCELED'].includes(job.state)) throw new Error(`job ended ${job.state}`);
      return job.state === 'FINISHED';
    }, 90_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}\n${cluster.logs()}`);
    });
    const overview = (await (await fetch(`${takenOver}/overview`)).json()) as { taskmanagers: number };
    expect(overview.taskmanagers).toBe(2);
    const check = checkOutput(output, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
  }, 240_000);
});
