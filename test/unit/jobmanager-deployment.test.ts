import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildJobDeployments, type DeploymentContext } from '../../src/cluster/jobmanager/task-deployment-builder.js';
import { parseJobGraph } from '../../src/cluster/jobmanager/job-graph-validation.js';
import { BlobStore } from '../../src/cluster/jobmanager/blob-store.js';
import { InvalidArgumentError, NotFoundError } from '../../src/core/errors.js';
import { sha256Hex } from '../../src/core/ids.js';
import { twoVertexJobGraph } from '../integration/jobmanager-harness.js';

const jobId = '0123456789abcdef0123456789abcdef';

function context(attempts: Record<string, number> = {}): DeploymentContext {
  return {
    jobId,
    jobGraph: twoVertexJobGraph(2, 3),
    bundleHash: 'h'.repeat(64),
    programArgs: ['a'],
    attemptOf: (v, i) => attempts[`${v}/${i}`] ?? 0,
    locationOf: (_v, i) => ({ taskManagerId: `tm${i}`, address: `host${i}:7000` }),
  };
}

describe('task deployment descriptors', () => {
  it('gives producers one partition per output edge with a subpartition per consumer', () => {
    const tdds = buildJobDeployments(context());
    expect(tdds.map((t) => `${t.vertexId}/${t.subtaskIndex}`)).toEqual(['src/0', 'src/1', 'map/0', 'map/1', 'map/2']);
    const src1 = tdds[1]!;
    expect(src1).toMatchObject({ jobId, jobName: 'word count', attempt: 0, programArgs: ['a'], inputGates: [] });
    expect(src1.outputPartitions).toEqual([{ partitionId: `${jobId}/e1/1/0`, numberOfSubpartitions: 3 }]);
  });

  it('gives consumers one channel per producer subtask, located at the producer', () => {
    const map2 = buildJobDeployments(context({ 'src/1': 4, 'map/2': 4 }))[4]!;
    expect(map2.attempt).toBe(4);
    expect(map2.outputPartitions).toEqual([]);
    expect(map2.inputGates).toEqual([
      [
        { partitionId: `${jobId}/e1/0/0`, subpartition: 2, producerTaskManagerId: 'tm0', producerAddress: 'host0:7000' },
        { partitionId: `${jobId}/e1/1/4`, subpartition: 2, producerTaskManagerId: 'tm1', producerAddress: 'host1:7000' },
      ],
    ]);
  });
});

describe('job graph validation', () => {
  const good = twoVertexJobGraph(2, 2);
  const refuse = (graph: unknown, message: string) =>
    expect(() => parseJobGraph(typeof graph === 'string' ? graph : JSON.stringify(graph))).toThrow(new InvalidArgumentError(`invalid job graph: ${message}`));

  it('accepts a well-formed graph', () => {
    expect(parseJobGraph(JSON.stringify(good))).toEqual(JSON.parse(JSON.stringify(good)));
  });

  it('refuses garbage naming the problem', () => {
    expect(() => parseJobGraph('{nope')).toThrow(InvalidArgumentError);
    refuse([], 'not an object');
    refuse({ ...good, vertices: [] }, 'it has no vertices');
    refuse({ ...good, vertices: [{ ...good.vertices[0]!, parallelism: 0 }, good.vertices[1]] }, 'vertex Source: words has parallelism 0');
    refuse({ ...good, vertices: [good.vertices[1], good.vertices[0]] }, 'edge e1 points backwards: vertices must be in topological order');
    refuse({ ...good, vertices: [good.vertices[0]] }, 'edge e1 targets unknown vertex map');
    refuse({ ...good, settings: { ...good.settings, restartStrategy: { type: 'sometimes' } } }, 'unknown restart strategy "sometimes"');
    refuse({ ...good, settings: { ...good.settings, restartStrategy: { type: 'fixed-delay', attempts: 3 } } }, 'restart strategy fixed-delay needs a non-negative delayMs');
    const forward = twoVertexJobGraph(2, 3);
    forward.vertices[0]!.outputs[0]!.partitioner = 'forward';
    forward.vertices[1]!.inputs[0]!.partitioner = 'forward';
    refuse(forward, 'forward edge e1 connects vertices of different parallelism');
  });
});

describe('blob store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluss-blobs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores bundles by sha256, in memory and under <dir>/blobs', async () => {
    const bundle = Buffer.from('export default () => {}');
    const store = new BlobStore(dir);
    const hash = await store.put(bundle);
    expect(hash).toBe(sha256Hex(bundle));
    expect(readFileSync(join(dir, 'blobs', hash))).toEqual(bundle);
    // a fresh store (a restarted JobManager) finds it on disk
    expect(await new BlobStore(dir).get(hash)).toEqual(bundle);
    await expect(new BlobStore().get(hash)).rejects.toThrow(new NotFoundError(`Bundle ${hash} not found.`));
    await expect(store.get('../etc/passwd')).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
