import { describe, expect, it } from 'vitest';
import { assignKeyToParallelOperator } from '../../src/state/key-groups.js';
import { createChannelSelector, type ChannelSelectorOptions } from '../../src/runtime/channel-selectors.js';
import { MAX_WATERMARK } from '../../src/common/stream-element.js';
import { WatermarkValve } from '../../src/runtime/watermark-valve.js';

const base: Omit<ChannelSelectorOptions, 'kind'> = { numberOfChannels: 4, subtaskIndex: 1, parallelism: 2, consumerMaxParallelism: 128, operatorName: 'Op' };

describe('channel selectors', () => {
  it('hash agrees with key groups', () => {
    const s = createChannelSelector({ ...base, kind: 'hash', keySelector: (v: unknown) => (v as { user: string }).user });
    for (const user of ['alice', 'bob', 'carol', 'dave', 'eve', '42']) {
      expect(s.selectChannel({ user })).toBe(assignKeyToParallelOperator(user, 128, 4));
    }
  });

  it('rebalance cycles over every channel, rescale over a local subset, forward and global are fixed', () => {
    const rb = createChannelSelector({ ...base, kind: 'rebalance' });
    const seen = Array.from({ length: 8 }, () => rb.selectChannel(0));
    expect(new Set(seen).size).toBe(4);
    for (let i = 1; i < 8; i++) expect(seen[i]).toBe((seen[i - 1]! + 1) % 4);
    const rs = createChannelSelector({ ...base, kind: 'rescale' });
    expect(Array.from({ length: 4 }, () => rs.selectChannel(0))).toEqual([2, 3, 2, 3]);
    expect(createChannelSelector({ ...base, kind: 'forward' }).selectChannel(0)).toBe(1);
    expect(createChannelSelector({ ...base, kind: 'global' }).selectChannel(0)).toBe(0);
    const sh = createChannelSelector({ ...base, kind: 'shuffle' });
    for (let i = 0; i < 50; i++) expect(sh.selectChannel(0)).toBeLessThan(4);
  });

  it('custom partitioners get the key and the channel count, and out-of-range results fail', () => {
    const c = createChannelSelector({ ...base, kind: 'custom', keySelector: (v: unknown) => v, partitioner: { partition: (k: unknown, n: number) => (k as number) % n } });
    expect(c.selectChannel(7)).toBe(3);
    const bad = createChannelSelector({ ...base, kind: 'custom', keySelector: (v: unknown) => v, partitioner: () => 9 });
    expect(() => bad.selectChannel(1)).toThrow(/0\.\.3/);
  });
});

describe('watermark valve', () => {
  it('takes the minimum over active channels, ignores idle and finished ones, and ends at the maximum', () => {
    const v = new WatermarkValve(3);
    expect(v.inputWatermark(0, 10)).toBeUndefined();
    expect(v.inputWatermark(1, 5)).toBeUndefined();
    expect(v.inputWatermark(2, 7)).toBe(5);
    expect(v.inputIdle(1, true)).toBe(7);
    expect(v.inputWatermark(1, 6)).toBeUndefined(); // active again, but behind: no regression
    expect(v.inputWatermark(1, 20)).toBeUndefined();
    expect(v.channelFinished(2)).toBe(10);
    v.channelFinished(0);
    expect(v.channelFinished(1)).toBe(MAX_WATERMARK);
    expect(v.isFinished).toBe(true);
  });
});
