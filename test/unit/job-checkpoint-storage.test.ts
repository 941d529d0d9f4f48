/**
 * The job's checkpoint directory as the environment records it (Flink's forms:
 * `new RocksDBStateBackend(dir)`, `new FsStateBackend(dir)`, `setCheckpointStorage(dir)`), and
 * the locations the JobManager accepts for it.
 */
import { describe, expect, it } from 'vitest';
import {
  buildJob,
  CheckpointConfig,
  defineJob,
  EmbeddedRocksDBStateBackend,
  FileSystemCheckpointStorage,
  FsStateBackend,
  RocksDBStateBackend,
  type JobBuilder,
} from '../../src/api/index.js';
import { checkpointRootForJob, localCheckpointDir } from '../../src/checkpoint/checkpoint-location.js';

const settingsOf = async (fn: JobBuilder) => (await buildJob(defineJob(fn), [], {})).jobGraph.settings;

describe('a job-chosen checkpoint directory', () => {
  it('RocksDBStateBackend(dir): keyed state in the embedded LSM store (LevelDB), checkpoints to dir', async () => {
    const s = await settingsOf((env) => {
      env.setStateBackend(new RocksDBStateBackend('file:///mnt/shared/checkpoints', true));
      env.fromSequence(1, 3).print();
    });
    expect([s.stateBackend, s.checkpointStorage]).toEqual(['leveldb', 'file:///mnt/shared/checkpoints']);
    expect(new RocksDBStateBackend('/x').getCheckpointPath()).toBe('/x');
  });

  it("setCheckpointStorage(dir) names it; a backend's own directory wins over it, as in Flink", async () => {
    const viaConfig = await settingsOf((env) => {
      env.getCheckpointConfig().setCheckpointStorage('/mnt/shared/a');
      env.setStateBackend(new EmbeddedRocksDBStateBackend());
      env.fromSequence(1, 3).print();
    });
    expect([viaConfig.stateBackend, viaConfig.checkpointStorage]).toEqual(['leveldb', '/mnt/shared/a']);
    const both = await settingsOf((env) => {
      env.getCheckpointConfig().setCheckpointStorage(new FileSystemCheckpointStorage('/mnt/shared/a'));
      env.setStateBackend(new FsStateBackend('/mnt/shared/b'));
      env.fromSequence(1, 3).print();
    });
    expect([both.stateBackend, both.checkpointStorage]).toEqual(['memory', '/mnt/shared/b']);
    const none = await settingsOf((env) => {
      env.fromSequence(1, 3).print();
    });
    expect('checkpointStorage' in none).toBe(false);
  });

  it('refuses an empty directory when the job is built', () => {
    expect(() => new RocksDBStateBackend('')).toThrow('RocksDBStateBackend needs a checkpoint directory');
    expect(() => new FsStateBackend(undefined as unknown as string)).toThrow('FsStateBackend needs a checkpoint directory');
    expect(() => new CheckpointConfig().setCheckpointStorage(' ')).toThrow('setCheckpointStorage() expects a checkpoint directory');
  });

  it('accepts an absolute path or a file:// URI, and nothing else', () => {
    expect(localCheckpointDir('/mnt/shared/cp/')).toBe('/mnt/shared/cp');
    expect(localCheckpointDir('file:///mnt/shared/cp')).toBe('/mnt/shared/cp');
    expect(localCheckpointDir('file:/mnt/shared/cp')).toBe('/mnt/shared/cp');
    expect(localCheckpointDir('FILE://localhost/mnt/shared/cp')).toBe('/mnt/shared/cp');
    expect(() => localCheckpointDir('hdfs://namenode:9000/fluss/checkpoints')).toThrow(
      'checkpoint directory "hdfs://namenode:9000/fluss/checkpoints" uses the hdfs:// scheme, which Fluss cannot write: give an absolute path on a filesystem the JobManager and every TaskManager share ("/mnt/shared/checkpoints") or a file:// URI ("file:///mnt/shared/checkpoints")',
    );
    expect(() => localCheckpointDir('s3a://bucket/cp')).toThrow('uses the s3a:// scheme');
    expect(() => localCheckpointDir('cp')).toThrow('is relative');
    expect(() => localCheckpointDir('/')).toThrow('is the root directory');
    expect(() => localCheckpointDir('file:///')).toThrow('is the root directory');
    expect(() => localCheckpointDir('')).toThrow('the checkpoint directory is empty');
    expect(() => localCheckpointDir('/a\0b')).toThrow('NUL byte');
  });

  it("a cluster started for one job takes the job's directory as its state.checkpoints.dir", () => {
    expect(checkpointRootForJob(undefined)).toEqual({});
    expect(checkpointRootForJob('file:///mnt/shared/cp')).toEqual({ 'state.checkpoints.dir': '/mnt/shared/cp' });
    expect(() => checkpointRootForJob('hdfs://nn/cp')).toThrow('hdfs:// scheme');
  });
});
