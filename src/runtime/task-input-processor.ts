/**
 * Reads a task's input gates: hands records to the operator each gate feeds, combines channel
 * watermarks per logical input ({@link WatermarkValve}), and ends an input once all of its
 * channels delivered end-of-partition. Checkpoint barriers are passed over here; barrier
 * alignment belongs to checkpointing.
 */
import type { JobVertex } from '../graph/job-graph.js';
import type { InputGate } from '../network/shuffle-types.js';
import { NO_TIMESTAMP } from './stream-element.js';
import type { StreamOperator } from './stream-operator.js';
import { WatermarkValve } from './watermark-valve.js';

/** One logical input of one operator, fed by one or more gates. */
interface LogicalInput {
  op: StreamOperator;
  input: number;
  valve: WatermarkValve;
  ended: boolean;
}

/** One gate and where its channels land. */
interface GateBinding {
  gate: InputGate;
  target: LogicalInput;
  /** Index of the gate's channel 0 in the valve. */
  channelOffset: number;
}

/** Processes the items of a task's input gates. */
export class TaskInputProcessor {
  private readonly bindings: GateBinding[] = [];
  private readonly inputs: LogicalInput[] = [];
  private next = 0;

  constructor(vertex: JobVertex, gates: InputGate[], operators: StreamOperator[]) {
    const channelsPerInput = new Map<string, number>();
    vertex.inputs.forEach((edge, i) => {
      const id = `${edge.targetOperatorIndex}:${edge.targetInput}`;
      channelsPerInput.set(id, (channelsPerInput.get(id) ?? 0) + gates[i]!.numberOfChannels);
    });
    const byId = new Map<string, LogicalInput>();
    const used = new Map<string, number>();
    vertex.inputs.forEach((edge, i) => {
      const id = `${edge.targetOperatorIndex}:${edge.targetInput}`;
      let target = byId.get(id);
      if (!target) {
        const op = operators[edge.targetOperatorIndex];
        if (!op) throw new Error(`${vertex.name}: input ${i} targets missing operator ${edge.targetOperatorIndex}`);
        target = { op, input: edge.targetInput, valve: new WatermarkValve(channelsPerInput.get(id)!), ended: false };
        byId.set(id, target);
        this.inputs.push(target);
      }
      const offset = used.get(id) ?? 0;
      used.set(id, offset + gates[i]!.numberOfChannels);
      this.bindings.push({ gate: gates[i]!, target, channelOffset: offset });
    });
    // Inputs without channels (zero producers) have ended before they began.
    for (const input of this.inputs) if (input.valve.numberOfChannels === 0) this.endInput(input);
  }

  /** True once every input ended. */
  get isFinished(): boolean {
    for (const input of this.inputs) if (!input.ended) return false;
    return true;
  }

  /**
   * Processes items round-robin over the gates until `maxRecords` records were handed over,
   * no gate has an item, or `stop()` says the outputs are backpressured. Returns the number of
   * items processed.
   */
  processSlice(maxRecords: number, stop: () => boolean): number {
    const bindings = this.bindings;
    const n = bindings.length;
    let records = 0;
    let items = 0;
    let idleGates = 0;
    while (records < maxRecords && idleGates < n) {
      const b = bindings[this.next]!;
      this.next = this.next + 1 === n ? 0 : this.next + 1;
      const gi = b.gate.pollNext();
      if (!gi) {
        idleGates++;
        continue;
      }
      idleGates = 0;
      items++;
      const item = gi.item;
      const target = b.target;
      switch (item.kind) {
        case 'records': {
          const { values, timestamps } = item;
          const op = target.op;
          const input = target.input;
          if (timestamps) for (let i = 0; i < values.length; i++) op.processElement(values[i], timestamps[i]!, input);
          else for (let i = 0; i < values.length; i++) op.processElement(values[i], NO_TIMESTAMP, input);
          records += values.length;
          if (stop()) return items;
          break;
        }
        case 'watermark':
          this.advance(target, target.valve.inputWatermark(b.channelOffset + gi.channel, item.timestamp));
          break;
        case 'watermarkStatus':
          this.advance(target, target.valve.inputIdle(b.channelOffset + gi.channel, item.idle));
          break;
        case 'endOfPartition':
          this.advance(target, target.valve.channelFinished(b.channelOffset + gi.channel));
          if (target.valve.isFinished) this.endInput(target);
          break;
        case 'barrier':
        case 'cancelCheckpoint':
          break;
      }
    }
    return items;
  }

  private advance(target: LogicalInput, watermark: number | undefined): void {
    if (watermark !== undefined) target.op.processWatermark(watermark, target.input);
  }

  private endInput(target: LogicalInput): void {
    if (target.ended) return;
    target.ended = true;
    target.op.endInput(target.input);
  }

  /** Resolves when some unfinished gate may have an item; rejects when a channel failed. */
  whenAvailable(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const b of this.bindings) if (!b.gate.isFinished()) waits.push(b.gate.whenAvailable());
    return waits.length === 0 ? Promise.resolve() : Promise.race(waits);
  }
}
