import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobBundleCache } from '../../src/cluster/taskmanager/job-bundle-cache.js';
import { JobBuildError, NotFoundError } from '../../src/core/errors.js';
import { sha256Hex } from '../../src/core/ids.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-bundle-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const code = Buffer.from('module.exports = function build(env) { env.built = true; };');
const hash = sha256Hex(code);

describe('JobBundleCache', () => {
  it('fetches a bundle once for concurrent requests and loads its builder', async () => {
    let fetches = 0;
    const cache = new JobBundleCache(join(dir, 'a'), async (h) => {
      fetches++;
      await new Promise((r) => setTimeout(r, 20));
      expect(h).toBe(hash);
      return code;
    });
    const [b1, b2, b3] = await Promise.all([cache.builder('job1', hash), cache.builder('job1', hash), cache.builder('job2', hash)]);
    expect(fetches).toBe(1);
    expect(b1).toBe(b2);
    expect(b1).toBe(b3);
    const env: { built?: boolean } = {};
    await b1(env as never, []);
    expect(env.built).toBe(true);
    expect(readdirSync(join(dir, 'a'))).toEqual([`${hash}.cjs`]);

    // The file stays while another job uses the bundle.
    await cache.releaseJob('job1');
    expect(existsSync(join(dir, 'a', `${hash}.cjs`))).toBe(true);
    await cache.releaseJob('job2');
    expect(existsSync(join(dir, 'a', `${hash}.cjs`))).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('rejects a bundle whose content does not match its hash', async () => {
    const cache = new JobBundleCache(join(dir, 'b'), async () => Buffer.from('module.exports = () => {};'));
    await expect(cache.builder('job', hash)).rejects.toThrow(JobBuildError);
    await expect(cache.builder('job', hash)).rejects.toThrow(/arrived damaged/);
  });

  it('does not cache a failed fetch', async () => {
    let fetches = 0;
    const cache = new JobBundleCache(join(dir, 'c'), async () => {
      if (++fetches === 1) throw new NotFoundError(`unknown bundle ${hash}`);
      return code;
    });
    await expect(cache.builder('job', hash)).rejects.toThrow(NotFoundError);
    await new Promise((r) => setTimeout(r, 0));
    await expect(cache.builder('job', hash)).resolves.toBeTypeOf('function');
    expect(fetches).toBe(2);
  });
});
