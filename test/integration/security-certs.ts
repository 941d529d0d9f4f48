/**
 * Throwaway certificate authorities for security tests, made with the openssl command line:
 * a CA, and key pairs it signs for `localhost` / `127.0.0.1` usable as server and client
 * certificates (mutual TLS).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM file paths of one signed key pair and the CA that signed it. */
export interface CertFiles {
  ca: string;
  cert: string;
  key: string;
}

/** A CA in a temp directory; {@link issue} signs new key pairs. */
export class TestCertificateAuthority {
  readonly dir: string;
  readonly caCert: string;
  private readonly caKey: string;
  private serial = 1;

  constructor(readonly name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `fluss-ca-${name}-`));
    this.caKey = join(this.dir, 'ca.key');
    this.caCert = join(this.dir, 'ca.pem');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', this.caKey, '-out', this.caCert,
      '-days', '2', '-subj', `/CN=Fluss test CA ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  }

  /** A key pair for `cn`, valid for localhost and 127.0.0.1 (server and client use). */
  issue(cn: string, sans = 'DNS:localhost,IP:127.0.0.1'): CertFiles {
    const base = join(this.dir, `${cn}-${this.serial}`);
    const ext = `${base}.ext`;
    writeFileSync(ext, `subjectAltName=${sans}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`]);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', this.caCert, '-CAkey', this.caKey, '-set_serial', String(this.serial++), '-out', `${base}.pem`, '-days', '2', '-extfile', ext]);
    return { ca: this.caCert, cert: `${base}.pem`, key: `${base}.key` };
  }

  /** Removes the CA's files. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Configuration keys enabling mutual TLS with `files`. */
export function tlsConfig(files: CertFiles): Record<string, unknown> {
  return {
    'security.ssl.internal.enabled': true,
    'security.ssl.internal.key': files.key,
    'security.ssl.internal.cert': files.cert,
    'security.ssl.internal.ca': files.ca,
  };
}
