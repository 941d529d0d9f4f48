/**
 * Flink's RichAsyncFunction: an {@link AsyncFunction} with the lifecycle of
 * {@link AbstractRichFunction} — `open` (create the client), `close` (release it) and
 * `getRuntimeContext()` for subtask information and metrics. State is not available: requests
 * complete outside the record that started them, so every state getter throws one line.
 *
 * @example
 * class Enrich extends RichAsyncFunction<Order, EnrichedOrder> {
 *   private client!: Pool;
 *   override open(): void { this.client = new Pool(); }
 *   asyncInvoke(order: Order, result: ResultFuture<EnrichedOrder>): void {
 *     this.client.query('…', [order.customer]).then(
 *       (r) => result.complete([{ ...order, customer: r.rows[0] }]),
 *       (err) => result.completeExceptionally(err),
 *     );
 *   }
 *   override async close(): Promise<void> { await this.client.end(); }
 * }
 */
import type { AsyncFunction, ResultFuture } from '../common/async-function.js';
import { AbstractRichFunction } from '../common/functions.js';

/** An async function with lifecycle and (state-less) runtime context. */
export abstract class RichAsyncFunction<IN, OUT> extends AbstractRichFunction implements AsyncFunction<IN, OUT> {
  /** Starts the request for `input`; completes `resultFuture` once it is done. */
  abstract asyncInvoke(input: IN, resultFuture: ResultFuture<OUT>): void;
}
