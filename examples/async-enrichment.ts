/**
 * Enriching a stream from an HTTP service with async I/O: orders of a data generator are
 * looked up at a customer service (`GET /customers/<id>`) with `AsyncDataStream.orderedWait`;
 * up to 100 requests are in flight, the stream never waits for one of them, and the enriched
 * orders keep their order. Start the service first (it answers after 20 ms):
 *
 *   node examples/customer-service.mjs 8080 &
 *   fluss run --local examples/async-enrichment.ts [serviceUrl=http://127.0.0.1:8080] [count=10000]
 */
import { AsyncDataStream, DataGeneratorSource, defineJob, RestartStrategies, WatermarkStrategy } from 'fluss';

interface Order {
  id: number;
  customerId: number;
  amount: number;
}

interface Customer {
  id: number;
  name: string;
  tier: string;
}

interface EnrichedOrder extends Order {
  customer: Customer;
}

export default defineJob((env, [serviceUrl = 'http://127.0.0.1:8080', count = '10000']) => {
  env.enableCheckpointing(5_000);
  env.setRestartStrategy(RestartStrategies.fixedDelay(3, 1_000));
  const orders = env.fromSource(
    new DataGeneratorSource((i: number): Order => ({ id: i, customerId: i % 50, amount: (i * 7) % 100 }), Number(count), { ratePerSecond: 2_000 }),
    WatermarkStrategy.noWatermarks(),
    'orders',
  );
  AsyncDataStream.orderedWait(
    orders,
    async (order: Order): Promise<EnrichedOrder> => {
      const res = await fetch(`${serviceUrl}/customers/${order.customerId}`);
      if (!res.ok) throw new Error(`customer service answered ${res.status} for customer ${order.customerId}`);
      return { ...order, customer: (await res.json()) as Customer };
    },
    2_000, // timeout per request, ms: a slower answer fails the job (and it restarts)
    100, // requests in flight per subtask
  )
    .name('enrich with customer')
    .filter((o) => o.customer.tier === 'gold')
    .map((o) => `order ${o.id}: ${o.amount} for ${o.customer.name}`)
    .print();
});
