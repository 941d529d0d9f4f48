import { describe, expect, it } from 'vitest';
import { RichMapFunction, StreamExecutionEnvironment } from '../../src/index.js';

describe("getRuntimeContext().getTaskInfo() (Flink 1.19's TaskInfo)", () => {
  it('names the task, this subtask, the parallelism, max parallelism and attempt', async () => {
    const env = StreamExecutionEnvironment.createLocalEnvironment(3);
    env.setMaxParallelism(64);
    class Describe extends RichMapFunction<number, string> {
      map(v: number): string {
        const t = this.getRuntimeContext().getTaskInfo();
        return [
          v,
          t.getTaskName(),
          t.getTaskNameWithSubtasks(),
          t.getIndexOfThisSubtask(),
          t.getNumberOfParallelSubtasks(),
          t.getMaxNumberOfParallelSubtasks(),
          t.getAttemptNumber(),
        ].join('|');
      }
    }
    const out = await env
      .fromElements(1, 2, 3, 4, 5, 6)
      .rebalance()
      .map(new Describe())
      .name('Describe')
      .disableChaining()
      .executeAndCollect() as string[];
    const rows = out.map((s) => s.split('|'));
    expect(rows).toHaveLength(6);
    const subtasks = new Set(rows.map((r) => r[3]));
    expect(subtasks).toEqual(new Set(['0', '1', '2']));
    for (const r of rows) {
      expect(r[1]).toMatch(/Describe/);
      expect(r[2]).toBe(`${r[1]} (${Number(r[3]) + 1}/3)`);
      expect(r.slice(4)).toEqual(['3', '64', '0']);
    }
  });
});
