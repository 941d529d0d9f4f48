/**
 * Combines the watermarks of the channels feeding one logical input: the input's watermark is
 * the minimum over channels that are neither finished nor idle, and only ever advances. When
 * every channel finished, the input sees the maximal watermark.
 */
import { MAX_WATERMARK } from './stream-element.js';

/** Watermark bookkeeping of one logical input. */
export class WatermarkValve {
  private readonly watermarks: number[];
  private readonly finished: boolean[];
  private readonly idle: boolean[];
  private remaining: number;
  private current = Number.NEGATIVE_INFINITY;

  constructor(readonly numberOfChannels: number) {
    this.watermarks = new Array(numberOfChannels).fill(Number.NEGATIVE_INFINITY);
    this.finished = new Array(numberOfChannels).fill(false);
    this.idle = new Array(numberOfChannels).fill(false);
    this.remaining = numberOfChannels;
  }

  /** The combined watermark emitted so far. */
  get watermark(): number {
    return this.current;
  }

  /** True once every channel finished. */
  get isFinished(): boolean {
    return this.remaining === 0;
  }

  /** A channel's watermark; returns the new combined watermark if it advanced. */
  inputWatermark(channel: number, timestamp: number): number | undefined {
    if (this.finished[channel]) return undefined;
    this.idle[channel] = false;
    if (timestamp > this.watermarks[channel]!) this.watermarks[channel] = timestamp;
    return this.recompute();
  }

  /** A channel became idle or active again. */
  inputIdle(channel: number, idle: boolean): number | undefined {
    if (this.finished[channel]) return undefined;
    this.idle[channel] = idle;
    return this.recompute();
  }

  /** A channel ended; returns the new combined watermark if it advanced. */
  channelFinished(channel: number): number | undefined {
    if (this.finished[channel]) return undefined;
    this.finished[channel] = true;
    this.remaining--;
    return this.recompute();
  }

  private recompute(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (let i = 0; i < this.numberOfChannels; i++) {
      if (this.finished[i] || this.idle[i]) continue;
      active++;
      if (this.watermarks[i]! < min) min = this.watermarks[i]!;
    }
    if (this.remaining === 0) min = MAX_WATERMARK;
    else if (active === 0) return undefined;
    if (min > this.current) {
      this.current = min;
      return min;
    }
    return undefined;
  }
}
