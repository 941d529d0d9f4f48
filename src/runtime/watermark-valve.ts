/**
 * Combines the watermarks of the channels feeding one logical input (Flink's
 * StatusWatermarkValve): the input's watermark is the minimum over channels that are neither
 * finished nor idle, and only ever advances. When every unfinished channel is idle the input is
 * idle: it advances to the highest watermark any channel reached (nothing holds it back any
 * more) and reports idleness, so the operator stops waiting for it. When every channel
 * finished, the input sees the maximal watermark.
 */
import { MAX_WATERMARK } from '../common/stream-element.js';

/** Watermark bookkeeping of one logical input. */
export class WatermarkValve {
  private readonly watermarks: number[];
  private readonly finished: boolean[];
  private readonly idle: boolean[];
  private remaining: number;
  private current = Number.NEGATIVE_INFINITY;
  private allIdle = false;

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

  /** True while every unfinished channel is idle. */
  get isIdle(): boolean {
    return this.allIdle;
  }

  /** A channel's watermark; returns the new combined watermark if it advanced. */
  inputWatermark(channel: number, timestamp: number): number | undefined {
    if (this.finished[channel]) return undefined;
    // A watermark means the channel is active again (Flink sends a status first; be lenient).
    this.idle[channel] = false;
    if (timestamp > this.watermarks[channel]!) this.watermarks[channel] = timestamp;
    return this.recompute();
  }

  /** A channel became idle or active again; returns the new combined watermark if it advanced. */
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
    let max = Number.NEGATIVE_INFINITY;
    let active = 0;
    for (let i = 0; i < this.numberOfChannels; i++) {
      if (this.finished[i]) continue;
      const wm = this.watermarks[i]!;
      if (wm > max) max = wm;
      if (this.idle[i]) continue;
      active++;
      if (wm < min) min = wm;
    }
    this.allIdle = this.remaining > 0 && active === 0;
    let next: number;
    if (this.remaining === 0) next = MAX_WATERMARK;
    else if (active === 0) next = max;
    else next = min;
    if (next > this.current) {
      this.current = next;
      return next;
    }
    return undefined;
  }
}
