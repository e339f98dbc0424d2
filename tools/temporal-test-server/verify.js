'use strict';
// Smoke check of the locally built test server through @temporalio/testing:
//   node tools/temporal-test-server/verify.js
// The SDK gives the server about 5 s to answer before it gives up, so the
// start-up figure printed here should stay well below that.

const { TestWorkflowEnvironment } = require('@temporalio/testing');
const { ensureTestServer } = require('./ensure');

const ms = (since) => `${(Number(process.hrtime.bigint() - since) / 1e6) | 0} ms`;

async function main() {
  let t = process.hrtime.bigint();
  const path = await ensureTestServer();
  console.log(`ensureTestServer: ${ms(t)} -> ${path}`);

  t = process.hrtime.bigint();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  console.log(`environment ready: ${ms(t)}`);
  try {
    const before = await env.currentTimeMs();
    t = process.hrtime.bigint();
    await env.sleep('7 days');
    const skipped = (await env.currentTimeMs()) - before;
    console.log(`env.sleep('7 days'): ${ms(t)} wall, ${skipped / 86400000} days on the server clock`);
    if (skipped < 7 * 86400000) throw new Error('server clock did not skip 7 days');
  } finally {
    t = process.hrtime.bigint();
    await env.teardown();
    console.log(`teardown: ${ms(t)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
