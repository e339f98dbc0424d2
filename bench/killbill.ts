/**
 * Kill Bill as a performance peer: its server war (org.kill-bill.billing:killbill-profiles-killbill) on
 * Jetty's runner, fetched once with Maven into the user's cache directory (nothing of it lives in the
 * repository), on a throwaway PostgreSQL cluster with fsync and synchronous_commit on, loopback only.
 * Start-up follows the steps Kill Bill documents for a war deployment: the schema assembled from the
 * ddl.sql files inside the war's jars, a properties file, a tenant and a catalog; Kill Bill 0.22 targets
 * Java 8/11, so on Java 17 its OSGi container needs the --add-opens below.
 *
 * Kill Bill hashes a tenant's API secret on every request (org.killbill.security.shiroNbHashIterations,
 * 200,000 rounds by default, tens of milliseconds of CPU each); like Kill Bill's own performance setups
 * this runs with 1, so the figures are its billing path and not a password hash.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './load';

/* eslint-disable @typescript-eslint/no-require-imports */
const { cacheDir } = require('../tools/cache-dir');
const { freePort } = require('../tools/free-port');
const { startThrowawayCluster, createDatabase, ensurePostgres } = require('../tools/postgres');
/* eslint-enable @typescript-eslint/no-require-imports */

export const KILLBILL_VERSION = '0.22.26';
const JETTY_VERSION = '9.4.53.v20231009';
const API_KEY = 'bench';
const API_SECRET = 'bench-secret';

/** A $10 monthly plan billed in advance, with per-call usage in arrears: each subscription invoices once. */
const CATALOG = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<catalog xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="CatalogSchema.xsd ">
  <effectiveDate>2020-01-01T00:00:00+00:00</effectiveDate>
  <catalogName>BenchCatalog</catalogName>
  <recurringBillingMode>IN_ADVANCE</recurringBillingMode>
  <currencies><currency>USD</currency></currencies>
  <units><unit name="api-call"/></units>
  <products><product name="Metered"><category>BASE</category></product></products>
  <rules>
    <changePolicy><changePolicyCase><policy>IMMEDIATE</policy></changePolicyCase></changePolicy>
    <cancelPolicy><cancelPolicyCase><policy>IMMEDIATE</policy></cancelPolicyCase></cancelPolicy>
  </rules>
  <plans>
    <plan name="metered-monthly">
      <product>Metered</product>
      <finalPhase type="EVERGREEN">
        <duration><unit>UNLIMITED</unit></duration>
        <recurring>
          <billingPeriod>MONTHLY</billingPeriod>
          <recurringPrice><price><currency>USD</currency><value>10.00</value></price></recurringPrice>
        </recurring>
        <usages>
          <usage name="metered-monthly-usage" billingMode="IN_ARREAR" usageType="CONSUMABLE" tierBlockPolicy="ALL_TIERS">
            <billingPeriod>MONTHLY</billingPeriod>
            <tiers><tier><blocks><tieredBlock>
              <unit>api-call</unit><size>1</size>
              <prices><price><currency>USD</currency><value>0.01</value></price></prices>
              <max>-1</max>
            </tieredBlock></blocks></tier></tiers>
          </usage>
        </usages>
      </finalPhase>
    </plan>
  </plans>
  <priceLists><defaultPriceList name="DEFAULT"><plans><plan>metered-monthly</plan></plans></defaultPriceList></priceLists>
</catalog>
`;

const JVM_OPENS = [
  'java.base/java.lang',
  'java.base/java.lang.reflect',
  'java.base/java.util',
  'java.base/java.util.concurrent',
  'java.base/java.net',
  'java.base/java.io',
  'java.base/java.nio',
  'java.base/java.security',
  'java.base/sun.nio.ch',
  'java.base/sun.net.www',
  'java.base/sun.net.www.protocol.jar',
  'java.base/sun.net.www.protocol.file',
  'java.base/sun.net.www.protocol.http',
  'java.base/sun.net.www.protocol.https',
  'java.base/sun.net.www.protocol.ftp',
  'java.base/sun.net.www.protocol.jrt',
  'java.base/sun.net.www.protocol.mailto',
  'java.base/jdk.internal.loader',
  'java.sql/java.sql',
  'java.management/sun.management',
].map((p) => `--add-opens=${p}=ALL-UNNAMED`);

const log = (msg: string) => process.stderr.write(`[killbill] ${msg}\n`);

/** The war and Jetty's runner, from Maven Central through mvn, once per machine. */
function ensureArtifacts(): { war: string; jetty: string } {
  const dir = cacheDir(`killbill-${KILLBILL_VERSION}`);
  const war = join(dir, `killbill-profiles-killbill-${KILLBILL_VERSION}.war`);
  const jetty = join(dir, `jetty-runner-${JETTY_VERSION}.jar`);
  mkdirSync(dir, { recursive: true });
  for (const [artifact, file] of [
    [`org.kill-bill.billing:killbill-profiles-killbill:${KILLBILL_VERSION}:war`, war],
    [`org.eclipse.jetty:jetty-runner:${JETTY_VERSION}`, jetty],
  ] as const) {
    if (existsSync(file)) continue;
    log(`fetching ${artifact} with mvn (once)…`);
    execFileSync(
      process.env.MVN || 'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        'dependency:copy',
        `-Dartifact=${artifact}`,
        `-DoutputDirectory=${dir}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (!existsSync(file)) throw new Error(`mvn did not produce ${file}`);
  }
  return { war, jetty };
}

/** Kill Bill's schema: PostgreSQL shims first, then each module's ddl.sql, then the shared tables. */
function extractSchema(war: string, work: string): string {
  const lib = join(work, 'ddl');
  execFileSync('unzip', ['-q', '-o', war, 'WEB-INF/lib/killbill-*.jar', '-d', lib]);
  const jar = (module: string) => join(lib, 'WEB-INF', 'lib', `killbill-${module}-${KILLBILL_VERSION}.jar`);
  const read = (j: string, entry: string) =>
    execFileSync('unzip', ['-p', j, entry], { maxBuffer: 64 * 1024 * 1024 }).toString();
  const parts = [read(jar('util'), 'org/killbill/billing/util/ddl-postgresql.sql')];
  for (const m of [
    'account',
    'beatrix',
    'catalog',
    'entitlement',
    'invoice',
    'payment',
    'subscription',
    'tenant',
    'usage',
  ])
    parts.push(read(jar(m), `org/killbill/billing/${m}/ddl.sql`));
  parts.push(read(jar('util'), 'org/killbill/billing/util/ddl.sql'));
  const file = join(work, 'killbill-ddl.sql');
  writeFileSync(file, parts.join('\n'));
  return file;
}

export interface KillBill {
  url: string;
  port: number;
  /** Headers every tenant call carries. */
  headers: Record<string, string>;
  /** Seconds from the JVM's launch to a healthy answer. */
  startupSeconds: number;
  /**
   * Creates `n` accounts, each with a subscription (which invoices $10 at once) and external charges
   * invoiced one by one until the account has `invoices` invoices.
   */
  seed(n: number, invoices: number): Promise<{ accountId: string; subscriptionId: string }[]>;
  stop(): Promise<void>;
}

/** Starts Kill Bill on its own PostgreSQL; the error says what failed, with the tail of its log. */
export async function startKillBill(): Promise<KillBill> {
  const { war, jetty } = ensureArtifacts();
  const work = mkdtempSync(join(tmpdir(), 'killbill-peer-'));
  const pg = await startThrowawayCluster({ durable: true });
  let java: ChildProcess | null = null;
  const logFile = join(work, 'killbill.log');
  const stop = async () => {
    if (java && java.exitCode === null && java.signalCode === null) {
      const exited = new Promise((r) => java!.once('exit', r));
      java.kill('SIGTERM');
      const timer = setTimeout(() => java?.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    pg.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const dbUrl = new URL(createDatabase(pg.url, 'killbill'));
    const psql = join(ensurePostgres(), 'psql');
    const schema = extractSchema(war, work);
    execFileSync(
      psql,
      [
        '-h',
        dbUrl.hostname,
        '-p',
        dbUrl.port,
        '-U',
        'postgres',
        '-d',
        'killbill',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-f',
        schema,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const jdbc = `jdbc:postgresql://${dbUrl.hostname}:${dbUrl.port}/killbill`;
    const port: number = await freePort();
    for (const d of ['felix', 'bundles', 'tmp']) mkdirSync(join(work, d));
    writeFileSync(
      join(work, 'killbill.properties'),
      [
        `org.killbill.dao.url=${jdbc}`,
        'org.killbill.dao.user=postgres',
        'org.killbill.dao.password=postgres',
        `org.killbill.billing.osgi.dao.url=${jdbc}`,
        'org.killbill.billing.osgi.dao.user=postgres',
        'org.killbill.billing.osgi.dao.password=postgres',
        `org.killbill.osgi.root.dir=${join(work, 'felix')}`,
        `org.killbill.osgi.bundle.install.dir=${join(work, 'bundles')}`,
        'org.killbill.server.multitenant=true',
        'org.killbill.server.test.mode=false',
        'org.killbill.server.updateCheck.skip=true',
        'org.killbill.server.http.gzip=false',
        'org.killbill.security.shiroNbHashIterations=1',
        'org.killbill.notificationq.main.sleep=100',
        'org.killbill.notificationq.main.claimed=10',
        'org.killbill.notificationq.main.queue.mode=STICKY_POLLING',
        'org.killbill.persistent.bus.main.queue.mode=STICKY_EVENTS',
        'org.killbill.persistent.bus.main.claimed=10',
        'org.killbill.persistent.bus.main.nbThreads=1',
        'org.killbill.persistent.bus.main.sleep=0',
        'org.killbill.persistent.bus.external.inMemory=true',
        'org.killbill.tenant.broadcast.rate=1s',
        'org.killbill.invoice.sanitySafetyBoundEnabled=false',
        'org.killbill.invoice.maxDailyNumberOfItemsSafetyBound=-1',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(work, 'logback.xml'),
      `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%date{ISO8601} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="STDOUT"/></root>
  <logger name="org.killbill.billing.server" level="INFO"/>
</configuration>
`,
    );
    const started = Date.now();
    const out = openSync(logFile, 'a');
    java = spawn(
      'java',
      [
        `-Xms${process.env.KB_HEAP ?? '2g'}`,
        `-Xmx${process.env.KB_HEAP ?? '2g'}`,
        '-XX:+UseG1GC',
        ...JVM_OPENS,
        '-Djava.security.egd=file:/dev/./urandom',
        '-Duser.timezone=UTC',
        `-Dorg.killbill.server.properties=file://${join(work, 'killbill.properties')}`,
        `-Dlogback.configurationFile=${join(work, 'logback.xml')}`,
        `-DLOGS_DIR=${work}`,
        `-Djava.io.tmpdir=${join(work, 'tmp')}`,
        '-jar',
        jetty,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--path',
        '/',
        war,
      ],
      { stdio: ['ignore', out, out] },
    );
    const url = `http://127.0.0.1:${port}`;
    const tail = () => readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
    for (;;) {
      if (java.exitCode !== null) throw new Error(`Kill Bill exited with ${java.exitCode}:\n${tail()}`);
      const status = await fetch(`${url}/1.0/healthcheck`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() - started > 300_000) throw new Error(`Kill Bill not healthy after 300 s:\n${tail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const startupSeconds = (Date.now() - started) / 1000;
    const admin = {
      authorization: `Basic ${Buffer.from('admin:password').toString('base64')}`,
      'x-killbill-createdby': 'bench',
    };
    const headers = {
      ...admin,
      'x-killbill-apikey': API_KEY,
      'x-killbill-apisecret': API_SECRET,
      accept: 'application/json',
    };
    const call = async (
      method: string,
      path: string,
      body: string,
      type = 'application/json',
      h: Record<string, string> = headers,
      expected = 201,
    ) => {
      const res = await fetch(`${url}${path}`, { method, headers: { ...h, 'content-type': type }, body });
      if (res.status !== expected)
        throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return (res.headers.get('location') ?? '').split('/').pop() as string;
    };
    await call(
      'POST',
      '/1.0/kb/tenants',
      JSON.stringify({ apiKey: API_KEY, apiSecret: API_SECRET, externalKey: 'bench' }),
      'application/json',
      admin,
    );
    await call('POST', '/1.0/kb/catalog/xml', CATALOG, 'text/xml');
    return {
      url,
      port,
      headers,
      startupSeconds,
      async seed(n, invoices) {
        const made: { accountId: string; subscriptionId: string }[] = [];
        for (let i = 0; i < n; i++) {
          const accountId = await call(
            'POST',
            '/1.0/kb/accounts',
            JSON.stringify({
              name: `Bench ${i}`,
              externalKey: `bench-${i}`,
              currency: 'USD',
              billCycleDayLocal: 1,
            }),
          );
          const subscriptionId = await call(
            'POST',
            '/1.0/kb/subscriptions',
            JSON.stringify({ accountId, planName: 'metered-monthly' }),
          );
          // Each committed external charge without an invoice id is an invoice of its own.
          for (let k = 1; k < invoices; k++)
            await call(
              'POST',
              `/1.0/kb/invoices/charges/${accountId}?autoCommit=true`,
              JSON.stringify([{ accountId, amount: 10, currency: 'USD', description: `Bench charge ${k}` }]),
              'application/json',
              headers,
              200, // answered with the invoice items made, not a Location
            );
          made.push({ accountId, subscriptionId });
        }
        // The subscription's own invoice comes from Kill Bill's bus after its call answers: wait for all.
        for (const { accountId } of made) {
          for (let tries = 0; ; tries++) {
            const res = await fetch(`${url}/1.0/kb/accounts/${accountId}/invoices`, { headers });
            const list = (await res.json()) as unknown[];
            if (res.status === 200 && list.length >= invoices) break;
            if (tries > 600)
              throw new Error(
                `${list.length} of ${invoices} invoices for account ${accountId} after a minute`,
              );
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        return made;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** POST /1.0/kb/usages with `n` records of one unit each, subscriptions in turn; tracking ids unique under `tag`. */
export function killBillUsageTarget(kb: KillBill, subscriptions: string[], n: number, tag: string): Target {
  const today = new Date().toISOString().slice(0, 10);
  return {
    port: kb.port,
    path: () => '/1.0/kb/usages',
    headers: kb.headers,
    body: (i) =>
      JSON.stringify({
        subscriptionId: subscriptions[i % subscriptions.length],
        trackingId: `${tag}-${i}`,
        unitUsageRecords: [
          {
            unitType: 'api-call',
            usageRecords: Array.from({ length: n }, () => ({ recordDate: today, amount: 1 })),
          },
        ],
      }),
    ok: (status) => status === 201,
  };
}

/** GET /1.0/kb/accounts/{id}/invoices, accounts in turn (each with the seeded handful). */
export function killBillInvoiceTarget(kb: KillBill, accounts: string[]): Target {
  return {
    port: kb.port,
    method: 'GET',
    path: (i) => `/1.0/kb/accounts/${accounts[i % accounts.length]}/invoices`,
    headers: kb.headers,
    ok: (status, text) => status === 200 && text.includes('invoiceId'),
  };
}
