/**
 * Orders from NATS JetStream, joined with a customer table captured from PostgreSQL, summed per
 * customer in 1-minute event-time windows, written to PostgreSQL exactly once.
 *
 *   fluss run examples/orders-per-customer.ts <nats-url> <postgres-url> [bounded]
 *
 * Expects: a JetStream stream `ORDERS` on subjects `orders.>` whose messages are JSON
 * `{ "orderId": 1, "customerId": 7, "amount": 12.5, "ts": 1700000000000 }`; tables
 * `customers (id int primary key, name text)` and
 * `customer_totals (customer_id int, window_start timestamptz, name text, orders int,
 * total numeric, primary key (customer_id, window_start))`. With `bounded`, the orders read are
 * those in the stream at start (the customer table is still followed until the job is cancelled).
 */
import {
  type ChangeRow,
  type Collector,
  defineJob,
  JetStreamSource,
  KeyedCoProcessFunction,
  type KeyedProcessContext,
  ListStateDescriptor,
  PostgresCdcSource,
  PostgresSink,
  RestartStrategies,
  Time,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type ListState,
  type ValueState,
} from 'fluss';

interface Order { orderId: number; customerId: number; amount: number; ts: number }
interface Customer { id: number; name: string }
interface WindowTotal { customerId: number; windowStart: number; orders: number; total: number }
interface CustomerTotal { customer_id: number; window_start: Date; name: string; orders: number; total: number }

/** Adds the customer's current name to each window's total; totals of a customer not seen yet wait for it. */
class WithCustomer extends KeyedCoProcessFunction<number, WindowTotal, ChangeRow<Customer>, CustomerTotal> {
  private customer!: ValueState<Customer>;
  private waiting!: ListState<WindowTotal>;

  override open(): void {
    this.customer = this.getRuntimeContext().getState(new ValueStateDescriptor<Customer>('customer'));
    this.waiting = this.getRuntimeContext().getListState(new ListStateDescriptor<WindowTotal>('waiting'));
  }

  processElement1(t: WindowTotal, _ctx: KeyedProcessContext<number>, out: Collector<CustomerTotal>): void {
    const c = this.customer.value();
    if (c) out.collect(enrich(t, c));
    else this.waiting.add(t);
  }

  processElement2(change: ChangeRow<Customer>, _ctx: KeyedProcessContext<number>, out: Collector<CustomerTotal>): void {
    if (change.kind === '-D') {
      this.customer.clear();
      return;
    }
    if (change.kind === '-U') return;
    this.customer.update(change.row);
    for (const t of this.waiting.get()) out.collect(enrich(t, change.row));
    this.waiting.clear();
  }
}

function enrich(t: WindowTotal, c: Customer): CustomerTotal {
  return { customer_id: t.customerId, window_start: new Date(t.windowStart), name: c.name, orders: t.orders, total: t.total };
}

export default defineJob((env, [natsUrl, postgresUrl, bounded]) => {
  env.enableCheckpointing(1_000);
  // Checkpoints are declined while the customer table's snapshot is read.
  env.getCheckpointConfig().setTolerableCheckpointFailureNumber(100);
  env.setRestartStrategy(RestartStrategies.fixedDelay(10, 1_000));
  const ordersSource = JetStreamSource.builder<Order>()
    .setServers(natsUrl!)
    .setStream('ORDERS')
    .setSubjects('orders.>')
    .setDeserializer((m) => m.json<Order>());
  if (bounded === 'bounded') ordersSource.setBounded();
  const totals = env
    .fromSource(ordersSource.build(), WatermarkStrategy.forBoundedOutOfOrderness<Order>(5_000).withTimestampAssigner((o) => o.ts), 'orders')
    .uid('orders')
    .keyBy((o: Order) => o.customerId)
    .window(TumblingEventTimeWindows.of(Time.minutes(1)))
    .aggregate(
      {
        createAccumulator: () => ({ orders: 0, total: 0 }),
        add: (o: Order, acc: { orders: number; total: number }) => ({ orders: acc.orders + 1, total: acc.total + o.amount }),
        getResult: (acc: { orders: number; total: number }) => acc,
        merge: (a: { orders: number; total: number }, b: { orders: number; total: number }) => ({ orders: a.orders + b.orders, total: a.total + b.total }),
      },
      (customerId: number, ctx, sums: Iterable<{ orders: number; total: number }>, out: Collector<WindowTotal>) => {
        for (const s of sums) out.collect({ customerId, windowStart: ctx.window.start, orders: s.orders, total: s.total });
      },
    )
    .uid('totals per minute');
  const customers = env
    .fromSource(
      PostgresCdcSource.builder<Customer>().setConnection({ url: postgresUrl! }).setTables(['customers']).setSlotName('fluss_customers').build(),
      WatermarkStrategy.noWatermarks(),
      'customers',
    )
    .uid('customers');
  totals
    .connect(customers)
    .keyBy((t: WindowTotal) => t.customerId, (c: ChangeRow<Customer>) => c.row.id)
    .process(new WithCustomer())
    .uid('with customer')
    .sinkTo(
      PostgresSink.builder<CustomerTotal>()
        .setConnection({ url: postgresUrl! })
        .setTable('customer_totals')
        .setColumns(['customer_id', 'window_start', 'name', 'orders', 'total'])
        .setKeyColumns(['customer_id', 'window_start'])
        .setDeliveryGuarantee('EXACTLY_ONCE')
        .setTransactionIdPrefix('orders-per-customer')
        .build(),
    )
    .uid('customer totals');
});
