/** The unit tier (test/tiers.js): the same transform, no servers, so no global setup. */
const base = require('./jest.config');
const { TIERS } = require('./test/tiers');

module.exports = {
  ...base,
  roots: TIERS.unit.map((folder) => `<rootDir>/test/${folder}`),
  globalSetup: undefined,
  globalTeardown: undefined,
};
