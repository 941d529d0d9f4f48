/**
 * Running average per sensor with keyed ValueState: a data generator emits readings of ten
 * sensors; every sensor's average is printed after each 10,000th of its readings, and once
 * more when its last reading arrived.
 *
 *   fluss run --local examples/running-average.ts [count=100000] [ratePerSecond]
 */
import {
  DataGeneratorSource,
  defineJob,
  KeyedProcessFunction,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type ValueState,
} from 'fluss';

const SENSORS = 10;
const REPORT_EVERY = 10_000;

interface Reading {
  sensor: string;
  /** Sequence number of the reading, 0-based, over all sensors. */
  index: number;
  value: number;
}

interface Average {
  sensor: string;
  readings: number;
  average: number;
}

/** Deterministic readings: a slow sine wave per sensor plus a small saw-tooth. */
function reading(i: number): Reading {
  const sensor = i % SENSORS;
  const value = 20 + 5 * Math.sin((i / SENSORS) * 0.001 + sensor) + ((i * 7) % 13) / 13;
  return { sensor: `sensor-${sensor}`, index: i, value: Math.round(value * 1000) / 1000 };
}

/** Keeps count and sum per sensor; reports every REPORT_EVERY readings and on the last one. */
class RunningAverage extends KeyedProcessFunction<string, Reading, Average> {
  private count!: ValueState<number>;
  private sum!: ValueState<number>;

  constructor(private readonly total: number) {
    super();
  }

  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
    this.sum = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('sum', 0));
  }

  processElement(r: Reading, ctx: KeyedProcessContext<string>, out: Collector<Average>): void {
    const count = (this.count.value() ?? 0) + 1;
    const sum = (this.sum.value() ?? 0) + r.value;
    this.count.update(count);
    this.sum.update(sum);
    // The last reading of a sensor is one of the final SENSORS indices.
    if (count % REPORT_EVERY === 0 || r.index >= this.total - SENSORS) {
      out.collect({ sensor: ctx.getCurrentKey(), readings: count, average: Math.round((sum / count) * 1000) / 1000 });
    }
  }
}

export default defineJob((env, args) => {
  const count = args[0] ? Number(args[0]) : 100_000;
  const ratePerSecond = args[1] ? Number(args[1]) : undefined;
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${args[0]}`);
  env
    .fromSource(new DataGeneratorSource(reading, count, { ratePerSecond }), WatermarkStrategy.noWatermarks(), 'Sensor readings')
    .keyBy((r) => r.sensor)
    .process(new RunningAverage(count))
    .name('Running average')
    .print();
});
