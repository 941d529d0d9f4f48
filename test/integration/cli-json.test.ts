/**
 * `fluss list --json` and `fluss status [--json]` against a running job on a MiniCluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJob, type JobBuilder } from '../../src/api/build-job.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { WatermarkStrategy } from '../../src/common/watermark-strategy.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { runCli } from '../../src/cli/program.js';
import type { CliIO } from '../../src/cli/cli-io.js';
import { newId } from '../../src/core/ids.js';

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

describe('JSON output of the CLI', () => {
  let cluster: MiniCluster;
  let jobId: string;
  let hash: string;
  beforeAll(async () => {
    cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: 1 });
    await cluster.start();
    const builder: JobBuilder = (env) => {
      env.fromSource(new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: 100 }), WatermarkStrategy.noWatermarks(), 'slow').addSink(() => {});
    };
    const built = await buildJob(builder, [], { jobName: 'json job' });
    jobId = newId();
    hash = registerInProcessJob(() => buildJob(builder, [], { jobName: 'json job' }), jobId);
    const client = new JobManagerClient(cluster.jobManagerAddress);
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph: built.jobGraph, programArgs: [], jobId });
    client.close();
  });
  afterAll(async () => {
    unregisterInProcessJob(hash);
    await cluster?.stop();
  });

  it('lists jobs as a JSON array with Flink REST names', async () => {
    const io = captureIO();
    expect(await runCli(['list', '--json', '-m', cluster.jobManagerAddress], io)).toEqual({ kind: 'exit', code: 0 });
    const jobs = JSON.parse(io.stdout.join('\n'));
    expect(jobs).toEqual([expect.objectContaining({ jid: jobId, name: 'json job', 'end-time': -1 })]);
    expect(['CREATED', 'RUNNING']).toContain(jobs[0].state);
    expect(jobs[0].vertices[0]).toMatchObject({ name: 'Source: slow -> Sink: Unnamed', parallelism: 1 });
  });

  it('shows one job as text or JSON, and refuses a malformed id in one line', async () => {
    const text = captureIO();
    expect(await runCli(['status', jobId, '-m', cluster.jobManagerAddress], text)).toEqual({ kind: 'exit', code: 0 });
    expect(text.stdout[0]).toBe(`Job ${jobId} : json job (RUNNING)`);
    const json = captureIO();
    await runCli(['status', jobId, '--json', '-m', cluster.jobManagerAddress], json);
    expect(JSON.parse(json.stdout.join('\n'))).toMatchObject({ jid: jobId, state: 'RUNNING' });
    const bad = captureIO();
    expect(await runCli(['status', 'nope', '-m', cluster.jobManagerAddress], bad)).toEqual({ kind: 'exit', code: 1 });
    expect(bad.stderr).toEqual(['Error: "nope" is not a job id (32 hex digits)']);
    const unknown = captureIO();
    await runCli(['status', '0'.repeat(32), '-m', cluster.jobManagerAddress], unknown);
    expect(unknown.stderr.join('\n')).toMatch(/not found/);
  });
});
