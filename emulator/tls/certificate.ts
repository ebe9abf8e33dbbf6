import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import selfsigned from 'selfsigned';

/** The emulator's TLS identity: one self-signed certificate that is also its own CA, valid for 127.0.0.1 and localhost. */
export interface TlsMaterial {
  certPath: string;
  cert: string;
  key: string;
}

const projectRoot = resolve(import.meta.dirname, '..', '..');

/** Where the certificate lives: stable across runs so NODE_EXTRA_CA_CERTS can name it before Node starts. */
export function tlsDirectory(): string {
  return process.env['IDWARDEN_EMULATOR_TLS_DIR'] ?? join(projectRoot, '.idwarden', 'emulator-tls');
}

/** Loads the certificate, creating it on first use (or when it is near expiry). */
export async function ensureTlsMaterial(directory = tlsDirectory()): Promise<TlsMaterial> {
  const certPath = join(directory, 'cert.pem');
  const keyPath = join(directory, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    const validTo = new Date(new X509Certificate(cert).validTo);
    if (validTo.getTime() - Date.now() > 30 * 24 * 3600 * 1000) {
      return { certPath, cert, key: readFileSync(keyPath, 'utf8') };
    }
  }
  const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 5 * 365 * 24 * 3600 * 1000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'idwarden local Azure emulator' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  mkdirSync(directory, { recursive: true });
  writeFileSync(certPath, pems.cert);
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  return { certPath, cert: pems.cert, key: pems.private };
}
