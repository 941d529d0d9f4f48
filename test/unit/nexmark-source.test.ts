/**
 * The Nexmark generator and source: proportions, dense ids, hot ratios, event-time spacing,
 * determinism, and a reader position (a list of splits) that replays every event exactly once
 * when restored at another parallelism.
 */
import { describe, expect, it } from 'vitest';
import { type NexmarkEvent, NexmarkGenerator, NexmarkSource, type NexmarkSplit } from '../../src/api/index.js';
import type { ReaderOutput } from '../../src/common/source.js';

const ctx = (subtaskIndex: number, parallelism: number) => ({ subtaskIndex, parallelism, sourceName: 'nexmark' });

function collector(into: [NexmarkEvent, number][]): ReaderOutput<NexmarkEvent> {
  return { collect: (e, ts) => into.push([e, ts!]) };
}

describe('NexmarkGenerator', () => {
  const gen = new NexmarkGenerator({ events: 50_000 });
  const events = gen.events(0, 50_000);

  it('generates people, auctions and bids 1:3:46 with dense ids from 1000', () => {
    const persons = events.filter((e) => e.type === 'person');
    const auctions = events.filter((e) => e.type === 'auction');
    expect([persons.length, auctions.length, events.length - persons.length - auctions.length]).toEqual([1000, 3000, 46_000]);
    expect(persons.map((p) => p.id)).toEqual(Array.from({ length: 1000 }, (_, i) => 1000 + i));
    expect(auctions.map((a) => a.id)).toEqual(Array.from({ length: 3000 }, (_, i) => 1000 + i));
  });

  it('spaces event times by the first-event rate (10 M/s by default)', () => {
    expect(events[0]!.dateTime).toBe(1_700_000_000_000);
    expect(events[49_999]!.dateTime - events[0]!.dateTime).toBe(4);
    const slow = new NexmarkGenerator({ firstEventRate: 1000 });
    expect(slow.event(2500).dateTime - slow.event(0).dateTime).toBe(2500);
  });

  it('sends half the bids to the hot auction and pads extra to the average sizes', () => {
    const bids = events.filter((e) => e.type === 'bid');
    const hot = bids.filter((b) => (b.auction - 1000) % 100 === 0).length / bids.length;
    expect(hot).toBeGreaterThan(0.45);
    const avgExtra = bids.reduce((n, b) => n + b.extra.length, 0) / bids.length;
    expect(avgExtra).toBeGreaterThan(60);
    expect(avgExtra).toBeLessThan(76);
    const channels = new Set(bids.map((b) => b.channel));
    expect(channels.has('Google') && [...channels].some((c) => c.startsWith('channel-'))).toBe(true);
    const prices = bids.map((b) => b.price);
    expect(Math.min(...prices)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...prices)).toBeLessThanOrEqual(100_000_000);
  });

  it('is deterministic by seed and event number', () => {
    const again = new NexmarkGenerator({ events: 50_000 });
    expect(again.event(31_337)).toEqual(events[31_337]);
    expect(new NexmarkGenerator({ seed: 7 }).event(31_337)).not.toEqual(events[31_337]);
  });
});

describe('NexmarkSource', () => {
  it('splits event numbers across subtasks and replays from restored splits at another parallelism', () => {
    const source = new NexmarkSource({ events: 10_000 });
    const seen: [NexmarkEvent, number][] = [];
    // Two subtasks read part of their share, then checkpoint.
    const readers = [0, 1].map((i) => source.createReader(ctx(i, 2)));
    readers[0]!.pollNext(collector(seen), 1234);
    readers[1]!.pollNext(collector(seen), 777);
    const splits = readers.flatMap((r) => r.snapshotState() as NexmarkSplit[]);
    // Restored at parallelism 3: splits dealt round-robin, one subtask gets none.
    const restored = [0, 1, 2].map((i) => {
      const r = source.createReader(ctx(i, 3));
      r.restoreState(splits.filter((_, j) => j % 3 === i));
      return r;
    });
    for (const r of restored) {
      const mine: [NexmarkEvent, number][] = [];
      while (r.pollNext(collector(mine), 500) !== 'END_OF_INPUT');
      for (let i = 1; i < mine.length; i++) expect(mine[i]![1]).toBeGreaterThanOrEqual(mine[i - 1]![1]);
      seen.push(...mine);
    }
    const reference = new NexmarkGenerator({ events: 10_000 }).events(0, 10_000);
    const key = (e: NexmarkEvent) => JSON.stringify(e);
    expect(seen.map(([e]) => key(e)).sort()).toEqual(reference.map(key).sort());
    expect(seen.every(([e, ts]) => e.dateTime === ts)).toBe(true);
  });
});
