/**
 * Flink's `GET /jobs/:jid/vertices/:vid/metrics`: the metrics of a vertex's subtasks as the
 * TaskManagers last reported them. Without `get`, the ids of the available metrics
 * (`[{"id": "0.numRecordsIn"}, …]`); with `get=id1,id2`, their values as strings
 * (`[{"id": "0.numRecordsIn", "value": "42"}]`), unknown ids left out — as Flink answers. Task
 * metrics are `<subtask>.<name>`; operator metrics `<subtask>.<operator>.<name>`, the operator
 * name with characters other than letters, digits and `_` replaced by `_` (Flink's
 * `0.Source__Kafka.pendingRecords`). A source's backlog is its operator metric `pendingRecords`.
 */
import type { TaskMetricsSnapshot } from '../../metrics/task-metrics-snapshot.js';
import type { Dispatcher } from '../dispatcher.js';
import type { TaskMetricsStore } from '../task-metrics-store.js';
import { RestApiError } from './rest-errors.js';
import type { RestRouter } from './rest-router.js';

const TASK_FIELDS = [
  'numRecordsIn', 'numRecordsOut', 'numRecordsInPerSecond', 'numRecordsOutPerSecond', 'currentInputWatermark',
  'busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond',
] as const;
const OPERATOR_FIELDS = ['numRecordsIn', 'numRecordsOut', 'numRecordsInPerSecond', 'numRecordsOutPerSecond', 'currentInputWatermark', 'pendingRecords'] as const;

/** Flink's scope component of an operator name. */
function scopeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Every metric of one subtask as id → value. */
function metricsOf(task: TaskMetricsSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  const i = task.subtaskIndex;
  for (const f of TASK_FIELDS) out.set(`${i}.${f}`, task[f]);
  for (const op of task.operators) {
    for (const f of OPERATOR_FIELDS) {
      const value = op[f];
      if (value !== undefined) out.set(`${i}.${scopeName(op.operatorName)}.${f}`, value);
    }
  }
  return out;
}

/** Adds `GET /jobs/:jid/vertices/:vid/metrics`. */
export function addVertexMetricsRoutes(router: RestRouter, dispatcher: Dispatcher, taskMetrics: TaskMetricsStore): void {
  router.add('GET', '/jobs/:jid/vertices/:vid/metrics', (req) => {
    const jid = req.params['jid']!;
    const job = dispatcher.jobMaster(jid);
    if (!job) throw new RestApiError(404, `Job ${jid} not found`);
    const vid = req.params['vid']!;
    if (!job.jobGraph.vertices.some((v) => v.id === vid)) throw new RestApiError(404, `Job ${jid} has no vertex ${vid}`);
    const all = new Map<string, number>();
    for (const { task } of taskMetrics.ofVertex(jid, vid).values()) for (const [id, value] of metricsOf(task)) all.set(id, value);
    const get = req.query.get('get');
    if (get === null) return { status: 200, body: [...all.keys()].sort().map((id) => ({ id })) };
    const wanted = get.split(',').map((id) => id.trim()).filter((id) => id !== '');
    return { status: 200, body: wanted.filter((id) => all.has(id)).map((id) => ({ id, value: String(all.get(id)) })) };
  });
}
