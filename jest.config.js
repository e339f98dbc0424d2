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
  // timers and child processes; with three, 91 %, and the whole suite took 1,037 s against 1,458 s that day.
  maxWorkers: 3,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
