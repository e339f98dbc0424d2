/**
 * A certificate authority made for one test with the `openssl` command, and certificates it signs: what an
 * operator's PKI would hand the Temporal server and the engine. Files only (PEM), as they would be
 * deployed; nothing is trusted beyond the test that made them.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  name: string;
  certPath: string;
  keyPath: string;
  /** A leaf certificate signed by this CA for `serverAuth` (with these DNS names) or `clientAuth`. */
  issue(name: string, use: { server: string[] } | 'client'): { certPath: string; keyPath: string };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An EC P-256 key, PKCS#8 (`BEGIN PRIVATE KEY`), unencrypted, as the SDKs take it. */
function newKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

export function makeTestCa(dir: string, name = 'ca'): TestCa {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.pem`);
  newKey(keyPath);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    `/CN=billing test ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 1;
  return {
    name,
    certPath,
    keyPath,
    issue(leaf, use) {
      const leafKey = join(dir, `${name}-${leaf}.key`);
      const leafCert = join(dir, `${name}-${leaf}.pem`);
      const csr = join(dir, `${name}-${leaf}.csr`);
      const ext = join(dir, `${name}-${leaf}.ext`);
      newKey(leafKey);
      openssl(['req', '-new', '-key', leafKey, '-out', csr, '-subj', `/CN=${leaf}`]);
      writeFileSync(
        ext,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          use === 'client'
            ? 'extendedKeyUsage=clientAuth'
            : `extendedKeyUsage=serverAuth\nsubjectAltName=${use.server.map((n) => `DNS:${n}`).join(',')}`,
          '',
        ].join('\n'),
      );
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        certPath,
        '-CAkey',
        keyPath,
        '-set_serial',
        String(serial++),
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        leafCert,
      ]);
      return { certPath: leafCert, keyPath: leafKey };
    },
  };
}
