/**
 * The consumer side of one JobEdge for one subtask: its input channels, a queue of channels
 * that hold data (round-robin, so one busy channel cannot starve the others), blocking for
 * barrier alignment, and one pending availability promise at a time.
 */
import type { GateItem, InputGate } from './shuffle-types.js';
import type { ChannelItem } from '../common/stream-element.js';
import { FailedPreconditionError } from '../core/errors.js';
import { deferred, RESOLVED, type Deferred } from './deferred.js';
import { FifoQueue } from './fifo-queue.js';
import type { InputChannel, InputChannelListener } from './input-channel.js';

/** A polled item, with the batches an unaligned barrier overtook in its channel. */
function withOvertaken(ch: InputChannel, item: ChannelItem): GateItem {
  if (item.kind !== 'barrier' || item.unaligned !== true) return { channel: ch.index, item };
  return { channel: ch.index, item, overtaken: ch.takeOvertaken(item.checkpointId) ?? [] };
}

/** An input gate over local and remote channels. */
export class SingleInputGate implements InputGate, InputChannelListener {
  private channels: InputChannel[] = [];
  /** Channels with data, in the order they got it; may hold blocked channels, skipped on poll. */
  private readonly withData = new FifoQueue<InputChannel>();
  /** Channels that received an unaligned barrier, in arrival order (polled ahead of everything). */
  private readonly withPriority = new FifoQueue<InputChannel>();
  private blocked: boolean[] = [];
  /** Channels in {@link withData} that are not blocked. */
  private readyCount = 0;
  private endedChannels = 0;
  private failure: Error | null = null;
  private closed = false;
  private waiter: Deferred | null = null;
  private priorityWaiter: Deferred | null = null;

  /**
   * @param jobId the job the gate belongs to (for {@link ShuffleEnvironment.releaseJob}).
   * @param onClose called once when the gate is closed.
   */
  constructor(
    readonly jobId: string,
    private readonly onClose: (gate: SingleInputGate) => void,
  ) {}

  /** Installs the channels (index i = producer subtask i) and starts them. */
  setChannels(channels: InputChannel[]): void {
    this.channels = channels;
    this.blocked = channels.map(() => false);
    for (const ch of channels) ch.start();
  }

  get numberOfChannels(): number {
    return this.channels.length;
  }

  pollNext(): GateItem | undefined {
    if (this.failure !== null || this.closed) return undefined;
    let ch: InputChannel | undefined;
    while ((ch = this.withData.shift()) !== undefined) {
      ch.queuedInGate = false;
      if (this.blocked[ch.index]) continue; // re-queued by unblockChannel
      this.readyCount--;
      const item = ch.poll();
      if (item === undefined) continue;
      // Taking a batch returns its credit; a local producer may then hand this channel its next
      // item synchronously, which already queued the channel again (onChannelData). Queuing it
      // twice would count it twice: the gate would claim data it does not have, and a task
      // waiting on whenAvailable() would spin without ever yielding to the event loop.
      if (ch.hasData) this.onChannelData(ch);
      if (item.kind === 'endOfPartition') this.endedChannels++;
      return withOvertaken(ch, item);
    }
    return undefined;
  }

  pollPriority(): GateItem | undefined {
    if (this.failure !== null || this.closed) return undefined;
    let ch: InputChannel | undefined;
    while ((ch = this.withPriority.shift()) !== undefined) {
      // Already taken by pollNext when it sat at the head of an unblocked channel.
      if (!ch.hasPriorityEvent) continue;
      // The channel stays in the data queue; an empty one is skipped there.
      return withOvertaken(ch, ch.poll()!);
    }
    return undefined;
  }

  whenAvailable(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new FailedPreconditionError('input gate is closed'));
    if (this.readyCount > 0 || this.withPriority.size > 0 || this.isFinished()) return RESOLVED;
    if (this.waiter === null) this.waiter = deferred();
    return this.waiter.promise;
  }

  blockChannel(channel: number): void {
    this.checkChannel(channel);
    if (this.blocked[channel]) return;
    this.blocked[channel] = true;
    if (this.channels[channel]!.queuedInGate) this.readyCount--;
  }

  unblockChannel(channel: number): void {
    this.checkChannel(channel);
    if (!this.blocked[channel]) return;
    this.blocked[channel] = false;
    const ch = this.channels[channel]!;
    if (ch.queuedInGate) {
      this.readyCount++;
      this.signal();
    } else if (ch.hasData) {
      this.enqueueChannel(ch);
    }
  }

  isFinished(): boolean {
    return this.endedChannels === this.channels.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ch of this.channels) ch.close();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(this.failure ?? new FailedPreconditionError('input gate was closed'));
    this.onClose(this);
  }

  /** Fails the gate from outside (job released, environment closed). */
  fail(error: Error): void {
    if (this.failure !== null || this.closed) return;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  /** @internal */
  onChannelData(channel: InputChannel): void {
    if (!channel.queuedInGate) this.enqueueChannel(channel);
  }

  whenPriorityAvailable(): Promise<void> {
    if (this.withPriority.size > 0) return RESOLVED;
    if (this.priorityWaiter === null) this.priorityWaiter = deferred();
    return this.priorityWaiter.promise;
  }

  /** @internal */
  onPriorityEvent(channel: InputChannel): void {
    this.withPriority.push(channel);
    this.signal();
    const waiter = this.priorityWaiter;
    this.priorityWaiter = null;
    waiter?.resolve();
  }

  /** @internal */
  onChannelFailed(_channel: InputChannel, error: Error): void {
    this.fail(error);
  }

  private enqueueChannel(ch: InputChannel): void {
    ch.queuedInGate = true;
    this.withData.push(ch);
    if (!this.blocked[ch.index]) {
      this.readyCount++;
      this.signal();
    }
  }

  private signal(): void {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve();
    }
  }

  private checkChannel(channel: number): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channels.length) {
      throw new FailedPreconditionError(`input gate has no channel ${channel} (it has ${this.channels.length})`);
    }
  }
}
