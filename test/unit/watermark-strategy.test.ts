import { describe, expect, it } from 'vitest';
import { WatermarkStrategy } from '../../src/common/watermark-strategy.js';

function recorder() {
  const log: Array<number | 'idle' | 'active'> = [];
  return {
    log,
    out: { emitWatermark: (t: number) => log.push(t), markIdle: () => log.push('idle'), markActive: () => log.push('active') },
  };
}

describe('WatermarkStrategy', () => {
  it('bounded out-of-orderness trails the max timestamp', () => {
    const g = WatermarkStrategy.forBoundedOutOfOrderness<number>(100).createWatermarkGenerator();
    const { log, out } = recorder();
    g.onEvent(1, 1000, out);
    g.onEvent(1, 900, out);
    g.onPeriodicEmit(out);
    g.onEvent(1, 1500, out);
    g.onPeriodicEmit(out);
    expect(log).toEqual([899, 1399]);
  });

  it('monotonous timestamps emit max - 1', () => {
    const g = WatermarkStrategy.forMonotonousTimestamps<number>().createWatermarkGenerator();
    const { log, out } = recorder();
    g.onEvent(0, 10, out);
    g.onPeriodicEmit(out);
    expect(log).toEqual([9]);
  });

  it('goes idle without records and active with the next one', () => {
    let now = 0;
    const g = WatermarkStrategy.forMonotonousTimestamps<number>().withIdleness(1000).createWatermarkGenerator(() => now);
    const { log, out } = recorder();
    g.onEvent(0, 5, out);
    now = 500;
    g.onPeriodicEmit(out);
    now = 1600;
    g.onPeriodicEmit(out);
    g.onPeriodicEmit(out);
    g.onEvent(0, 7, out);
    g.onPeriodicEmit(out);
    expect(log).toEqual([4, 'idle', 'active', 6]);
  });

  it('keeps the timestamp assigner and is immutable', () => {
    const base = WatermarkStrategy.forBoundedOutOfOrderness<{ t: number }>(5);
    const withTs = base.withTimestampAssigner((e) => e.t);
    expect(base.timestampAssigner).toBeUndefined();
    expect(withTs.timestampAssigner!({ t: 42 }, Number.NEGATIVE_INFINITY)).toBe(42);
    expect(WatermarkStrategy.noWatermarks().emitsWatermarks).toBe(false);
  });
});
