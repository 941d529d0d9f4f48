import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../helpers/process-cluster.js';

/** The non-empty lines of a process's stderr. */
const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

beforeAll(() => assertBuilt());

describe('a daemon refuses bad configuration at start, naming the key', () => {
  it('fluss jobmanager -D rest.prot=1 exits non-zero with one line naming rest.prot', async () => {
    const r = await runCli(['jobmanager', '-D', 'rest.prot=1'], { FLUSS_PROPERTIES: '' }, 20_000);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('rest.prot');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an ill-typed value names the key and the value', async () => {
    const r = await runCli(['taskmanager', '-D', 'taskmanager.numberOfTaskSlots=many'], { FLUSS_PROPERTIES: '' }, 20_000);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/taskmanager\.numberOfTaskSlots.*many/);
  });

  it('a misspelled key in FLUSS_PROPERTIES or a config file is refused the same way', async () => {
    const fromEnv = await runCli(['jobmanager'], { FLUSS_PROPERTIES: 'rest.port: 0\nheartbeat.intervall: 1 s\n' }, 20_000);
    expect(fromEnv.code).not.toBe(0);
    expect(lines(fromEnv.stderr)).toHaveLength(1);
    expect(fromEnv.stderr).toContain('heartbeat.intervall');

    const dir = mkdtempSync(join(tmpdir(), 'fluss-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'rest:\n  port: eighty\n');
    const fromFile = await runCli(['jobmanager', '--config', file], { FLUSS_PROPERTIES: '' }, 20_000);
    expect(fromFile.code).not.toBe(0);
    expect(lines(fromFile.stderr)).toHaveLength(1);
    expect(fromFile.stderr).toMatch(/rest\.port.*eighty/);
  });
});
