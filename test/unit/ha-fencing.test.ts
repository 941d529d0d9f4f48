/**
 * The TaskManager's side of fencing: calls with a token older than the newest seen are refused
 * before the handler runs; newer tokens are learned; a call without a token is refused once a
 * leader's token is known. And a leader's RPC metadata is refused once its term is over.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { FENCING_TOKEN_HEADER, fencedHandlers, fencingMetadata, FencedError, FencingTokenGate, NO_FENCE, type LeaderFence } from '../../src/cluster/ha/fencing.js';

async function invoke(handlers: grpc.UntypedServiceImplementation, token: string | undefined): Promise<{ code: number | undefined; ran: boolean }> {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set(FENCING_TOKEN_HEADER, token);
  const c = { metadata, request: {} } as unknown as grpc.ServerUnaryCall<unknown, unknown>;
  return new Promise((resolve) => {
    (handlers['SubmitTask'] as grpc.handleUnaryCall<unknown, unknown>)(c, ((err: grpc.ServiceError | null, res?: unknown) => resolve({ code: err?.code, ran: res === 'ran' })) as grpc.sendUnaryData<unknown>);
  });
}

describe('fencing tokens', () => {
  const inner: grpc.UntypedServiceImplementation = {
    SubmitTask: ((_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, 'ran')) as grpc.handleUnaryCall<unknown, unknown>,
  };

  it('a TaskManager refuses stale tokens and learns newer ones', async () => {
    const gate = new FencingTokenGate();
    const handlers = fencedHandlers(inner, gate);
    expect(await invoke(handlers, undefined)).toEqual({ code: undefined, ran: true });
    expect(await invoke(handlers, '17')).toEqual({ code: undefined, ran: true });
    expect(await invoke(handlers, '9')).toEqual({ code: grpc.status.FAILED_PRECONDITION, ran: false });
    gate.observe('30');
    expect(await invoke(handlers, '17')).toEqual({ code: grpc.status.FAILED_PRECONDITION, ran: false });
    expect(await invoke(handlers, undefined)).toEqual({ code: grpc.status.FAILED_PRECONDITION, ran: false });
    expect(await invoke(handlers, '30')).toEqual({ code: undefined, ran: true });
    expect(await invoke(handlers, '100000000000000000001')).toEqual({ code: undefined, ran: true });
    expect(gate.current).toBe('100000000000000000001');
    expect(await invoke(handlers, 'x1')).toEqual({ code: grpc.status.FAILED_PRECONDITION, ran: false });
  });

  it('a leader stamps its token while its term holds and sends nothing after', () => {
    let valid = true;
    const fence: LeaderFence = { token: '42', isValid: () => valid, check: () => Promise.resolve() };
    const metadata = fencingMetadata(fence)!;
    expect(metadata()).toEqual({ [FENCING_TOKEN_HEADER]: '42' });
    valid = false;
    expect(() => metadata()).toThrow(FencedError);
    expect(fencingMetadata(NO_FENCE)).toBeUndefined();
  });
});
