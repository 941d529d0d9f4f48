import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRestoreCompatibility, parseCheckpointMetadata } from '../../src/checkpoint/checkpoint-metadata-validation.js';
import { CheckpointStorage, disposeSavepoint, METADATA_FILE } from '../../src/checkpoint/checkpoint-storage.js';
import { loadRestorePoint } from '../../src/checkpoint/checkpoint-storage-restore.js';
import type { CheckpointMetadata } from '../../src/checkpoint/checkpoint-types.js';
import { sha256Hex } from '../../src/core/ids.js';
import type { JobGraph } from '../../src/common/job-graph.js';
import { twoVertexJobGraph } from '../integration/jobmanager-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluss-savepoint-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const JOB = 'ab12cd'.padEnd(32, '0');
const state = Buffer.from('keyed state bytes');

function metadata(over: Partial<CheckpointMetadata['operators'][number]> = {}): CheckpointMetadata {
  return {
    version: 1,
    jobId: JOB,
    checkpointId: 7,
    timestamp: 1,
    savepoint: true,
    operators: [
      {
        operatorId: 'map',
        name: 'Map',
        parallelism: 1,
        maxParallelism: 128,
        subtasks: [{ operatorId: 'map', subtaskIndex: 0, keyed: { file: { path: 'map-0.state', size: state.length, checksum: sha256Hex(state) }, keyGroupRange: { start: 0, end: 127 } } }],
        ...over,
      },
      { operatorId: 'src', name: 'Source: words', parallelism: 2, maxParallelism: 128, subtasks: [] },
    ],
  };
}

async function writeSavepoint(md: CheckpointMetadata, content = state): Promise<string> {
  const storage = new CheckpointStorage(JOB, join(dir, 'cp'), join(dir, 'sp'));
  const sp = await storage.initSavepointDir(undefined);
  await writeFile(join(sp, 'map-0.state'), content);
  await storage.writeMetadata(sp, md);
  return sp;
}

const graph: JobGraph = twoVertexJobGraph(2, 1);

describe('savepoint storage and restore validation', () => {
  it('names savepoints savepoint-<6 hex of job id>-<12 hex>, writes _metadata without temp files left, and restores from dir or _metadata path', async () => {
    const sp = await writeSavepoint(metadata());
    expect(sp).toMatch(/\/sp\/savepoint-ab12cd-[0-9a-f]{12}$/);
    expect((await readdir(sp)).sort()).toEqual([METADATA_FILE, 'map-0.state']);
    const point = await loadRestorePoint(sp, graph, false);
    expect(point.restore).toEqual({ checkpointDir: sp, checkpointId: 7, allowNonRestoredState: false });
    expect((await loadRestorePoint(join(sp, METADATA_FILE), graph, false)).restore.checkpointDir).toBe(sp);
  });

  it('refuses a changed max parallelism with the operator named', () => {
    const changed: JobGraph = { ...graph, vertices: graph.vertices.map((v) => (v.id === 'map' ? { ...v, maxParallelism: 256 } : v)) };
    expect(() => checkRestoreCompatibility(metadata(), changed, false, '/x')).toThrow('max parallelism changed from 128 to 256 for operator map (Map)');
  });

  it('refuses state of an operator the job no longer has unless allowNonRestoredState', () => {
    const md = metadata({ operatorId: 'gone', name: 'Old Map' });
    for (const s of md.operators[0]!.subtasks) s.operatorId = 'gone';
    expect(() => checkRestoreCompatibility(md, graph, false, '/x')).toThrow(/Cannot map checkpoint\/savepoint state for operator gone \(Old Map\) to the new program.*--allowNonRestoredState/);
    expect(() => checkRestoreCompatibility(md, graph, true, '/x')).not.toThrow();
    // Operators without state never block a restore.
    const stateless = metadata({ operatorId: 'gone2', subtasks: [] });
    expect(() => checkRestoreCompatibility(stateless, graph, false, '/x')).not.toThrow();
  });

  it('refuses damaged or missing _metadata and handles without checksums or with escaping paths', async () => {
    await expect(loadRestorePoint(join(dir, 'nope'), graph, false)).rejects.toThrow(/Cannot find checkpoint or savepoint at .*nope/);
    await mkdir(join(dir, 'empty'));
    await expect(loadRestorePoint(join(dir, 'empty'), graph, false)).rejects.toThrow('has no _metadata file');
    const sp = await writeSavepoint(metadata());
    await writeFile(join(sp, METADATA_FILE), '{"version":1,"jobId":');
    await expect(loadRestorePoint(sp, graph, false)).rejects.toThrow(/The _metadata of .* is damaged/);
    const noChecksum = metadata();
    (noChecksum.operators[0]!.subtasks[0]!.keyed!.file as { checksum?: string }).checksum = undefined;
    expect(() => parseCheckpointMetadata(JSON.stringify(noChecksum), 'sp')).toThrow('operators.0.subtasks.0.keyed.file.checksum');
    const escaping = metadata();
    escaping.operators[0]!.subtasks[0]!.keyed!.file.path = '../../etc/passwd';
    expect(() => parseCheckpointMetadata(JSON.stringify(escaping), 'sp')).toThrow('must be a path inside the checkpoint directory');
  });

  it('refuses a state file that is missing, truncated or altered', async () => {
    const altered = await writeSavepoint(metadata(), Buffer.from('keyed state byteZ'));
    await expect(loadRestorePoint(altered, graph, false)).rejects.toThrow('the checksum of state file map-0.state does not match');
    const truncated = await writeSavepoint(metadata(), Buffer.from('keyed'));
    await expect(loadRestorePoint(truncated, graph, false)).rejects.toThrow('state file map-0.state has 5 bytes, _metadata says 17');
    const missing = await writeSavepoint(metadata());
    await rm(join(missing, 'map-0.state'));
    await expect(loadRestorePoint(missing, graph, false)).rejects.toThrow('state file map-0.state is missing');
  });

  it('disposes a directory with _metadata and refuses one without', async () => {
    const sp = await writeSavepoint(metadata());
    await mkdir(join(dir, 'plain'));
    await writeFile(join(dir, 'plain', 'data'), 'x');
    await expect(disposeSavepoint(join(dir, 'plain'))).rejects.toThrow(/Refusing to dispose .*plain: it is not a savepoint/);
    expect(await readdir(join(dir, 'plain'))).toEqual(['data']);
    expect(await disposeSavepoint(sp)).toBe(sp);
    await expect(readdir(sp)).rejects.toThrow();
  });
});
