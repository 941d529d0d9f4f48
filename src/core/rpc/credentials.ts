/**
 * Transport security of every internal gRPC connection (client → JobManager, JobManager →
 * TaskManager, TaskManager → JobManager, TaskManager → TaskManager). Every server and every
 * channel Fluss creates gets its credentials here, so that one configuration switch covers all
 * of them:
 *
 * - `security.ssl.internal.enabled: false` (default): plaintext; meant for loopback or a private
 *   network only.
 * - `true`: mutual TLS with the PEM files `security.ssl.internal.key`, `.cert` and `.ca`. A server
 *   accepts only clients presenting a certificate signed by that CA; a client accepts only
 *   servers presenting one, whose subject alternative names also match the host it dialled
 *   (`localhost`, `127.0.0.1`, `tm-1.example`…) unless `security.ssl.internal.verify-hostname`
 *   is false, in which case the chain is still checked against the CA but any name is accepted.
 *   Servers do not check client host names (clients dial from ephemeral addresses).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { FlussConfig } from '../config.js';
import { ConfigurationError } from '../errors.js';

/** PEM contents of this process's key pair and of the CA it trusts. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** How this process secures and authenticates its gRPC connections. */
export interface RpcSecurity {
  /** Mutual TLS material; undefined = plaintext. */
  tls?: TlsMaterial;
  /** Whether clients check that the server certificate names the dialled host (default true). */
  verifyHostname?: boolean;
  /** Bearer token every call carries and every server requires (see rpc-auth.ts). */
  token?: string;
}

/** No TLS, no token: what tests and embedded clusters use unless configured otherwise. */
export const PLAINTEXT: RpcSecurity = Object.freeze({});

function readPem(config: FlussConfig, key: 'security.ssl.internal.key' | 'security.ssl.internal.cert' | 'security.ssl.internal.ca'): Buffer {
  const path = config[key];
  if (!path) throw new ConfigurationError(`security.ssl.internal.enabled is true but ${key} is not set (a PEM file path)`);
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (cause) {
    throw new ConfigurationError(`cannot read ${key} ${path}: ${(cause as Error).message}`, { cause });
  }
  if (!pem.includes('-----BEGIN ')) throw new ConfigurationError(`${key} ${path} is not a PEM file`);
  return pem;
}

/**
 * The security settings of `config`: reads the PEM files when TLS is enabled (a missing or
 * unreadable file fails with the key named) and takes the token.
 */
export function rpcSecurityFromConfig(config: FlussConfig): RpcSecurity {
  const security: RpcSecurity = { verifyHostname: config['security.ssl.internal.verify-hostname'] };
  if (config['security.ssl.internal.enabled']) {
    security.tls = {
      key: readPem(config, 'security.ssl.internal.key'),
      cert: readPem(config, 'security.ssl.internal.cert'),
      ca: readPem(config, 'security.ssl.internal.ca'),
    };
  }
  const token = config['security.auth.token'];
  if (token) security.token = token;
  return security;
}

/** Server credentials: mutual TLS (client certificates required) or plaintext. */
export function serverCredentials(security: RpcSecurity = PLAINTEXT): grpc.ServerCredentials {
  const tls = security.tls;
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/** Channel credentials: mutual TLS (presenting this process's certificate) or plaintext. */
export function channelCredentials(security: RpcSecurity = PLAINTEXT): grpc.ChannelCredentials {
  const tls = security.tls;
  if (!tls) return grpc.credentials.createInsecure();
  const verify: grpc.VerifyOptions = security.verifyHostname === false ? { checkServerIdentity: () => undefined } : {};
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, verify);
}

/** A few words on the transport, for "not reachable" messages. */
export function describeTransport(security: RpcSecurity = PLAINTEXT): string {
  return security.tls
    ? 'over mutual TLS: both sides need certificates signed by the CA of security.ssl.internal.ca'
    : 'over plaintext gRPC: a cluster with security.ssl.internal.enabled refuses it';
}
