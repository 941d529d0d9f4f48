import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { loadConfig, parseDuration, parseMemorySize } from '../../src/core/config.js';

describe('configuration', () => {
  it('has defaults', () => {
    const c = loadConfig({ properties: '' });
    expect(c['jobmanager.rpc.port']).toBe(6123);
    expect(c['taskmanager.numberOfTaskSlots']).toBe(1);
    expect(c['state.backend.type']).toBe('leveldb');
    expect(c['heartbeat.timeout']).toBeLessThan(10_000);
  });

  it('applies file, then FLUSS_PROPERTIES, then -D, with nested YAML flattened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'jobmanager:\n  rpc:\n    port: 7000\n    address: jm\ntaskmanager.numberOfTaskSlots: 2\nheartbeat.timeout: 3 s\n');
    const c = loadConfig({
      configFile: file,
      properties: 'jobmanager.rpc.port: 7001\nparallelism.default: 3\n',
      dynamic: ['parallelism.default=4', 'state.backend.leveldb.cache.size=256 mb'],
    });
    expect(c['jobmanager.rpc.address']).toBe('jm');
    expect(c['jobmanager.rpc.port']).toBe(7001);
    expect(c['taskmanager.numberOfTaskSlots']).toBe(2);
    expect(c['parallelism.default']).toBe(4);
    expect(c['heartbeat.timeout']).toBe(3000);
    expect(c['state.backend.leveldb.cache.size']).toBe(256 * 1024 * 1024);
  });

  it('names an unknown key', () => {
    expect(() => loadConfig({ properties: 'taskmanager.numberOfTaskSlot: 2' })).toThrow(
      /unknown configuration key: taskmanager.numberOfTaskSlot/,
    );
  });

  it('names an ill-typed key', () => {
    const run = () => loadConfig({ dynamic: ['jobmanager.rpc.port=lots'] });
    expect(run).toThrow(ConfigurationError);
    expect(run).toThrow(/jobmanager.rpc.port/);
    expect(() => loadConfig({ dynamic: ['heartbeat.interval=soon'] })).toThrow(/heartbeat.interval/);
  });

  it('rejects malformed sources with one line', () => {
    expect(() => loadConfig({ dynamic: ['novalue'] })).toThrow(/-D expects key=value/);
    expect(() => loadConfig({ configFile: '/nonexistent/fluss.yaml' })).toThrow(/cannot read config file/);
  });

  it('parses durations and sizes', () => {
    expect(parseDuration('500 ms')).toBe(500);
    expect(parseDuration('10 s')).toBe(10_000);
    expect(parseDuration('2min')).toBe(120_000);
    expect(parseDuration(42)).toBe(42);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseMemorySize('32 kb')).toBe(32768);
    expect(parseMemorySize('1g')).toBe(1024 ** 3);
  });
});
