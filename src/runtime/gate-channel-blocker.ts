/**
 * Blocking for barrier alignment over a task's input channels numbered across all its gates
 * (gate 0's channels first, then gate 1's, …), as the barrier aligner counts them: each
 * call finds the gate holding the channel and blocks or unblocks it there.
 */
import type { InputGate } from '../network/shuffle-types.js';
import type { ChannelBlocker } from './barrier-aligner.js';

/** A gate and the index of its channel 0 among all channels of the task. */
export interface GateAtOffset {
  readonly gate: InputGate;
  readonly globalOffset: number;
}

/** The {@link ChannelBlocker} over `gates` (read at each call, so it may still be filled in). */
export function gateChannelBlocker(gates: readonly GateAtOffset[]): ChannelBlocker {
  const locate = (channel: number): [InputGate, number] => {
    let b = gates[0]!;
    for (const x of gates) if (x.globalOffset <= channel && x.gate.numberOfChannels > 0) b = x;
    return [b.gate, channel - b.globalOffset];
  };
  return {
    block: (channel) => {
      const [gate, c] = locate(channel);
      gate.blockChannel(c);
    },
    unblock: (channel) => {
      const [gate, c] = locate(channel);
      gate.unblockChannel(c);
    },
  };
}
