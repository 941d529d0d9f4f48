import { describe, expect, it } from 'vitest';
import {
  deriveTaskManagerMemory,
  describeTaskManagerMemory,
  heapLimitArgs,
  semiSpaceMb,
  memoryConfigurationOf,
  memoryMessage,
} from '../../src/cluster/taskmanager/task-manager-memory.js';
import { validateConfig } from '../../src/core/config.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { heapLimitSetByHand } from '../../src/cli/heap-limit-launcher.js';

const MB = 1024 * 1024;

describe('TaskManager memory model', () => {
  it('derives overhead, managed memory and heap from the process size as Flink does', () => {
    const m = deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.process.size': '1g' }));
    // 10 % of 1024 MB is below jvm-overhead.min: 192 MB; managed: 40 % of the remaining 832 MB.
    expect(m.overheadBytes).toBe(192 * MB);
    expect(m.managedBytes).toBe(Math.round(832 * MB * 0.4));
    expect(m.heapBytes).toBe(832 * MB - m.managedBytes);
    expect(m.processBytes).toBe(1024 * MB);
    // The V8 heap holds the heap plus the write-back caches' three quarters of managed memory.
    expect(m.heapLimitBytes).toBe(m.heapBytes! + Math.round(m.managedBytes * 0.75));
    // Young (three semi-spaces of a sixteenth of the limit) and old generation share the limit.
    expect(Math.ceil(m.heapLimitBytes! / MB)).toBe(749);
    expect(heapLimitArgs(m)).toEqual(['--max-old-space-size=611', '--max-semi-space-size=46']);
    expect(semiSpaceMb(128 * MB)).toBe(16);
    expect(semiSpaceMb(4096 * MB)).toBe(64);
    const big = deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.process.size': '20g' }));
    expect(big.overheadBytes).toBe(1024 * MB); // clamped to jvm-overhead.max
  });

  it('derives the process size from heap + managed memory', () => {
    const m = deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.heap.size': '600m', 'taskmanager.memory.managed.size': '400m' }));
    expect(m.heapBytes).toBe(600 * MB);
    expect(m.managedBytes).toBe(400 * MB);
    expect(m.overheadBytes).toBe(192 * MB);
    expect(m.processBytes).toBe(1192 * MB);
    // Heap alone: managed is its fraction of heap + managed.
    const h = deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.heap.size': '600m' }));
    expect(h.managedBytes).toBe(400 * MB);
  });

  it('takes an explicit managed size and fraction, and defaults a daemon to 1728 MB', () => {
    const m = deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.process.size': '2g', 'taskmanager.memory.managed.size': '1g' }));
    expect(m.managedBytes).toBe(1024 * MB);
    expect(m.heapBytes).toBe(2048 * MB - 1024 * MB - m.overheadBytes!);
    const f = deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.process.size': '2g', 'taskmanager.memory.managed.fraction': '0.5' }));
    expect(f.managedBytes).toBe(Math.round((2048 * MB - f.overheadBytes!) * 0.5));
    expect(deriveTaskManagerMemory(validateConfig({})).processBytes).toBe(1728 * MB);
  });

  it('leaves an in-process TaskManager the host heap and 128 MB managed memory unless configured', () => {
    const m = deriveTaskManagerMemory(validateConfig({}), true);
    expect(m).toEqual({ processBytes: undefined, heapBytes: undefined, managedBytes: 128 * MB, overheadBytes: undefined, heapLimitBytes: undefined });
    expect(heapLimitArgs(m)).toEqual([]);
    const sized = deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.process.size': '1g' }), true);
    expect(sized.managedBytes).toBe(Math.round(832 * MB * 0.4));
    expect(sized.heapLimitBytes).toBeUndefined();
    expect(describeTaskManagerMemory(m, 2)).toBe(
      'TaskManager memory: process host process, heap host process, managed 128 MB (64 MB per slot, 2 slots), overhead host process, V8 heap limit of the host process',
    );
    expect(memoryConfigurationOf(memoryMessage(m))).toEqual({ totalProcessMemory: null, taskHeap: null, managedMemory: 128 * MB, jvmOverhead: null, heapLimit: null });
  });

  it('refuses contradicting sizes with one line naming the keys', () => {
    const tooSmall = () => deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.process.size': '250m' }));
    expect(tooSmall).toThrow(ConfigurationError);
    expect(tooSmall).toThrow(/taskmanager.memory.process.size \(250 MB\) leaves/);
    const contradicting = () =>
      deriveTaskManagerMemory(validateConfig({ 'taskmanager.memory.process.size': '1g', 'taskmanager.memory.heap.size': '900m', 'taskmanager.memory.managed.size': '100m' }));
    expect(contradicting).toThrow(/outside taskmanager.memory.jvm-overhead/);
    expect(() => validateConfig({ 'taskmanager.memory.managed.fraction': '1.5' })).toThrow(/taskmanager.memory.managed.fraction/);
  });

  it('leaves the cache size key unset unless given (then it overrides the share per database)', () => {
    expect(validateConfig({})['state.backend.leveldb.cache.size']).toBeUndefined();
    expect(validateConfig({ 'state.backend.leveldb.cache.size': '32 mb' })['state.backend.leveldb.cache.size']).toBe(32 * MB);
  });

  it('recognises a hand-set heap limit', () => {
    expect(heapLimitSetByHand(['--max-old-space-size=100'], undefined)).toBe(true);
    expect(heapLimitSetByHand([], '--enable-source-maps --max-old-space-size=100')).toBe(true);
    expect(heapLimitSetByHand(['--enable-source-maps'], '')).toBe(false);
  });
});
