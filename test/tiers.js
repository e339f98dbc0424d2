'use strict';
/**
 * The suite's three tiers, by folder under test/. `npm test` runs all three; the inner loop runs one:
 * - unit: pure rules and use-case logic, no server, no database (`npm run test:unit`, under a minute);
 * - system: the engine end to end, in a browser, or as the production topology (`npm run test:system`);
 * - integration: everything else, against real servers (`npm run test:integration`).
 */
const TIERS = {
  unit: ['domain', 'services'],
  system: ['e2e', 'web', 'cluster'],
};

/** The tier of a test file, by the first folder under test/. */
function tierOf(file) {
  const m = /(?:^|[\\/])test[\\/]([^\\/]+)[\\/]/.exec(file);
  const folder = m ? m[1] : '';
  if (TIERS.unit.includes(folder)) return 'unit';
  if (TIERS.system.includes(folder)) return 'system';
  return 'integration';
}

module.exports = { TIERS, tierOf };
