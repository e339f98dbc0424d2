/** Jest runs TypeScript through SWC; the servers a suite needs start in global setup or in the suite itself. */
// The Keycloak admin client ships ESM only, and so do the Kiota libraries and small helpers it imports.
const ESM_ONLY = '(@keycloak/keycloak-admin-client|@microsoft/kiota-[^/]+|camelize-ts|url-template)';

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/packages'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
    // ESM-only packages (below) compiled to CommonJS, since jest's module system cannot require() ESM.
    [`/node_modules/${ESM_ONLY}/.+\\.js$`]: [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!${ESM_ONLY}/)`],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  setupFiles: ['<rootDir>/test/helpers/quiet-runtime.ts'],
  testTimeout: 60_000,
  // Three on the two-core machine: with two the cores were 80 % busy, the rest spent waiting on servers,
  // timers and child processes; with three, 91-92 % (2026-11-30, a fresh clone: 1,085 s of jest's wall,
  // against 1,458 s with two that morning, before the shared Keycloak and the template databases too).
  maxWorkers: 3,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
