import { describe, expect, it } from 'vitest';
import { describeThrown, runJobBuilder, runJobCodeSync } from '../../src/api/job-builder-guard.js';

describe('job builder guard', () => {
  it('bounds a builder whose Promise stays pending', async () => {
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await expect(runJobBuilder(() => new Promise(() => {}), 50)).rejects.toThrow(
        'the job builder never finished: its Promise was still pending after 50 ms (client.job-builder.timeout); a builder must define the pipeline and return',
      );
    } finally {
      clearInterval(keepAlive);
    }
  });

  it('settles as the builder did', async () => {
    await expect(runJobBuilder(async () => 42, 1000)).resolves.toBe(42);
    await expect(runJobBuilder(() => Promise.reject(new RangeError('no')), 1000)).rejects.toThrow('no');
  });

  it('describes thrown values that are not Errors on one line', () => {
    expect(describeThrown('x')).toBe("a non-Error value: 'x' (throw an Error to give a message and a stack trace)");
    expect(describeThrown({ a: 1, b: [1, 2] })).toBe('a non-Error value: { a: 1, b: [ 1, 2 ] } (throw an Error to give a message and a stack trace)');
    expect(describeThrown(Object.create(null))).toBe('a non-Error value: [Object: null prototype] {} (throw an Error to give a message and a stack trace)');
    expect(describeThrown(undefined)).toBe('a non-Error value: undefined (throw an Error to give a message and a stack trace)');
    expect(describeThrown({ s: 'a\nb'.repeat(500) })).not.toContain('\n');
    expect(describeThrown(new TypeError('t'))).toBe('TypeError: t');
  });

  it('refuses process.exit() from job code, also when the builder catches the refusal', async () => {
    expect(() => runJobCodeSync('the job module', () => process.exit(2))).toThrow(
      'the job module called process.exit(2): job code must not end the process (define the pipeline and return, or throw an Error to fail)',
    );
    await expect(
      runJobBuilder(async () => {
        await Promise.resolve();
        try {
          process.exit();
        } catch {
          // swallowed by the builder
        }
      }, 1000),
    ).rejects.toThrow('the job builder called process.exit()');
  });

  it('ignores, with a warning, process.exit() from a timer the builder left behind', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      let fired!: () => void;
      const done = new Promise<void>((r) => (fired = r));
      await runJobBuilder(() => {
        setTimeout(() => {
          process.exit(9);
          fired();
        }, 10);
      }, 1000);
      await done;
      await new Promise((r) => setImmediate(r));
      expect(warnings).toContain('the job builder called process.exit(9) after it finished; ignored (job code must not end the process)');
    } finally {
      process.removeListener('warning', onWarning);
    }
  });
});
