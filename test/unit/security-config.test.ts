/**
 * Security configuration and helpers: TLS keys checked at start, secrets never echoed, the
 * token never sent in plaintext beyond loopback, constant-time token checks, and paths kept
 * inside their roots.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rpcSecurityFromConfig } from '../../src/core/rpc/credentials.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { bearerMatches, hostOf, isLoopbackHost } from '../../src/core/rpc/rpc-auth.js';
import { loadConfig } from '../../src/core/config.js';
import { ConfigurationError, InvalidArgumentError } from '../../src/core/errors.js';
import { resolveInsideRoots } from '../../src/core/paths.js';
import { DataClientPool } from '../../src/network/data-client-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-sec-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = (overrides: Record<string, unknown>) => loadConfig({ properties: '', overrides });

describe('security configuration', () => {
  it('refuses TLS without its three files, naming the missing key', () => {
    expect(() => config({ 'security.ssl.internal.enabled': true })).toThrow(
      new ConfigurationError('security.ssl.internal.enabled is true but security.ssl.internal.key is not set (a PEM file path)'),
    );
    expect(() => config({ 'security.ssl.internal.enabled': 'true', 'security.ssl.internal.key': 'k', 'security.ssl.internal.cert': 'c' })).toThrow(
      /security\.ssl\.internal\.ca is not set/,
    );
  });

  it('names an unreadable or non-PEM file with its key', () => {
    const notPem = join(dir, 'x.pem');
    writeFileSync(notPem, 'hello');
    const c = config({ 'security.ssl.internal.enabled': true, 'security.ssl.internal.key': join(dir, 'missing.key'), 'security.ssl.internal.cert': notPem, 'security.ssl.internal.ca': notPem });
    expect(() => rpcSecurityFromConfig(c)).toThrow(/^cannot read security\.ssl\.internal\.key .*missing\.key/);
    expect(() => rpcSecurityFromConfig({ ...c, 'security.ssl.internal.key': notPem })).toThrow(`security.ssl.internal.key ${notPem} is not a PEM file`);
  });

  it('never echoes the token in errors', () => {
    expect(() => config({ 'security.auth.token': 'short-secret' })).toThrow(
      new ConfigurationError('invalid value for configuration key security.auth.token: <hidden> (a token needs at least 16 characters)'),
    );
  });

  it('has safe defaults: loopback binds, TLS off, no token, fail on poison records', () => {
    const c = config({});
    expect([c['jobmanager.bind-host'], c['taskmanager.bind-host'], c['rest.bind-address']]).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect(c['security.ssl.internal.enabled']).toBe(false);
    expect(c['security.auth.token']).toBeUndefined();
    expect(c['pipeline.poison-records.policy']).toBe('fail');
    expect(config({ 'blob.max-size': '1 mb' })['blob.max-size']).toBe(1024 * 1024);
  });
});

describe('token transport', () => {
  const token = 'x'.repeat(32);

  it('refuses to send a token in plaintext beyond loopback', () => {
    expect(() => new JobManagerClient('10.0.0.7:6123', { security: { token } })).toThrow(
      new ConfigurationError('refusing to send the auth token in plaintext to JobManager at 10.0.0.7:6123: enable security.ssl.internal.enabled, or connect over loopback'),
    );
    expect(() => new DataClientPool({ token }).get('tm-2.example:7000')).toThrow(ConfigurationError);
    new JobManagerClient('127.0.0.1:6123', { security: { token } }).close();
    new JobManagerClient('localhost:6123', { security: { token } }).close();
    new JobManagerClient('[::1]:6123', { security: { token } }).close();
  });

  it('knows loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.3.4.5', '::1', '[::1]', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '0.0.0.0', 'example.com', '::', '192.168.1.1', '::ffff:10.0.0.1'].some(isLoopbackHost)).toBe(false);
    expect([hostOf('h:1'), hostOf('[::1]:2'), hostOf('127.0.0.1:3')]).toEqual(['h', '[::1]', '127.0.0.1']);
  });

  it('compares bearer tokens exactly', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerMatches(token, token)).toBe(false);
    expect(bearerMatches(undefined, token)).toBe(false);
  });
});

describe('resolveInsideRoots', () => {
  const root = join(dir, 'savepoints');
  mkdirSync(join(root, 'a'), { recursive: true });
  const outside = join(dir, 'elsewhere');
  mkdirSync(outside, { recursive: true });
  symlinkSync(outside, join(root, 'link'));

  it('resolves relative paths against the first root and keeps them inside', () => {
    expect(resolveInsideRoots('a/b', [root])).toBe(join(root, 'a', 'b'));
    expect(resolveInsideRoots(join(root, 'a', '..', 'c'), [root])).toBe(join(root, 'c'));
    expect(resolveInsideRoots(root, [undefined, root])).toBe(root);
  });

  it('refuses traversal, other absolute paths, symlinked escapes and NUL bytes', () => {
    for (const bad of ['../x', '/etc/passwd', join(root, '..', 'x'), 'link/inside-the-link', 'a/../../x']) {
      expect(() => resolveInsideRoots(bad, [root], 'target')).toThrow(InvalidArgumentError);
    }
    expect(() => resolveInsideRoots('a\0b', [root])).toThrow('path contains a NUL byte');
    expect(() => resolveInsideRoots('', [root])).toThrow('path must be a non-empty path');
  });

  it('returns the normalised absolute path when no root is configured', () => {
    expect(resolveInsideRoots('/x/../y', [undefined])).toBe('/y');
  });
});
