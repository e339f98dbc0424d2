import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildContext, DockerignoreMatcher } from '../helpers/dockerignore';

const root = join(__dirname, '..', '..');
const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8');

/**
 * Secret-looking files, judged by name alone and independently of .dockerignore: environment files,
 * private keys, certificates and key stores, credentials of package registries and clouds, databases,
 * dumps and logs, and whole folders that hold such things.
 */
const SECRET_NAMES = [
  /^\.env$/i,
  /^\.env\./i,
  /\.env$/i,
  /\.(pem|key|crt|cer|der|csr|p8|p12|pfx|jks|keystore|kdbx|gpg|asc)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)/i,
  /^\.(npmrc|yarnrc|yarnrc\.yml|netrc|pgpass|git-credentials)$/i,
  /credentials.*\.json$/i,
  /\.tfstate/i,
  /\.(sqlite|sqlite3|db|dump|log)$/i,
  /\.(sqlite|db)-/i,
];
const SECRET_FOLDERS = new Set([
  'var',
  'node_modules',
  '.git',
  'coverage',
  '.ssh',
  '.gnupg',
  '.aws',
  '.docker',
]);

function secretLooking(path: string): boolean {
  const parts = path.split('/');
  const name = parts[parts.length - 1]!;
  return parts.slice(0, -1).some((p) => SECRET_FOLDERS.has(p)) || SECRET_NAMES.some((re) => re.test(name));
}

function tree(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'docker-context-'));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), 'x');
  }
  return dir;
}

describe('the Docker build context (.dockerignore)', () => {
  it('leaves out every secret-looking file, at any depth and in any case, and keeps the sources', () => {
    const secrets = [
      '.env',
      '.env.production',
      '.ENV',
      'prod.env',
      'config/.env.local',
      'config/.Env.Production',
      'api/.env',
      'web/src/.env.development',
      'var/dev-key.pem',
      'var/byok-key',
      'var/billing.sqlite',
      'db/billing.sqlite-wal',
      'worker/state.db',
      'certs/client.key',
      'certs/ca.crt',
      'api/certs/SERVER.PEM',
      'config/tls/client.key',
      'services/keys/store.p12',
      'integrations/keystore.pfx',
      'tools/id_rsa',
      'tools/id_ed25519.pub',
      '.npmrc',
      'web/.npmrc',
      '.yarnrc.yml',
      'config/.netrc',
      'api/gcp-credentials.json',
      'node_modules/x/index.js',
      'web/node_modules/y/index.js',
      '.git/config',
      'coverage/lcov.info',
      'api/npm-debug.log',
      'backup.dump',
      '.ssh/known_hosts',
      '.aws/credentials',
    ];
    // Not secrets by name, but nothing the build needs either: the allowlist leaves them out.
    const unknown = ['secrets.txt', 'notes/prod-passwords.md', 'docker-compose.override.yml'];
    const sources = [
      'api/main.ts',
      'workflows/index.ts',
      'package.json',
      'package-lock.json',
      'web/index.html',
    ];
    const dir = tree([...secrets, ...unknown, ...sources]);
    try {
      const context = buildContext(dir, dockerignore);
      expect(secrets.filter((file) => !secretLooking(file))).toEqual([]);
      expect(context.filter(secretLooking)).toEqual([]);
      expect(context).toEqual([...sources].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sends no secret-looking file from the repository's own tree, and everything the build reads", () => {
    const context = buildContext(root, dockerignore);
    expect(context.filter(secretLooking)).toEqual([]);
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'api/main.ts',
      'worker/main.ts',
      'workflows/index.ts',
      'db/migrations/sqlite/index.ts',
      'web/index.html',
      'web/vite.config.mts',
      'tools/web.js',
      'tools/lock-for-ci.js',
      'tools/verify.ts',
      'tools/byok-rotate.ts',
    ]) {
      expect(context).toContain(needed);
    }
    // Tests, benchmarks, documentation, development tools and build outputs stay out.
    const outside = /^(test|bench|docs|ops|dist|web\/dist|node_modules|tools\/(stripe-emulator|lago-fake))\//;
    expect(context.filter((f) => outside.test(f))).toEqual([]);
  });

  // The matcher is only as good as its agreement with Docker: the examples of Docker's documentation.
  it.each([
    [['*/temp*'], 'somedir/temporary.txt', true],
    [['*/temp*'], 'somedir/temp', true],
    [['*/temp*'], 'temp', false],
    [['*/temp*'], 'a/b/temporary.txt', false],
    [['*/*/temp*'], 'somedir/subdir/temporary.txt', true],
    [['temp?'], 'tempa', true],
    [['temp?'], 'temp/x', false],
    [['**/*.go'], 'a/b/c.go', true],
    [['**/*.go'], 'c.go', true],
    [['*.md', '!README.md'], 'README.md', false],
    [['*.md', '!README.md'], 'CHANGES.md', true],
    [['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
    [['*.md', '!README*.md', 'README-secret.md'], 'README-public.md', false],
    [['*.md', 'README-secret.md', '!README*.md'], 'README-secret.md', false],
    [['/var/'], 'var/x/y.pem', true],
    [['./var'], 'var/y', true],
    [['var'], 'a/var/y', false],
    [['*', '!api'], 'api/x/y.ts', false],
    [['*', '!api', '**/.env'], 'api/x/.env', true],
    [['a/**'], 'a/b/c', true],
    [['a/**'], 'a', false],
    [['[a-c].txt'], 'b.txt', true],
    [['[^a-c].txt'], 'b.txt', false],
    [['\\*.txt'], '*.txt', true],
    [['\\*.txt'], 'x.txt', false],
  ])('%j excludes %s: %s', (lines, path, excluded) => {
    expect(DockerignoreMatcher.fromFile(lines.join('\n')).excludes(path)).toBe(excluded);
  });
});
