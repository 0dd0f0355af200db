/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // PGlite's CommonJS build loads Node built-ins and its WebAssembly with import(), which jest's
    // CommonJS sandbox cannot run (no --experimental-vm-modules): compile those to require().
    '/node_modules/@electric-sql/pglite/dist/.+\\.cjs$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/pglite/)', '\\.pnp\\.[^\\/]+$'],
  // Workflow tests boot real Temporal servers; give them time, never shortened durations.
  testTimeout: 120_000,
  // Two cores here: each integration file starts its own server, so do not oversubscribe.
  maxWorkers: 2,
  // Marks the run's processes (LEADFLOW_TEST_RUN) and, at the end, ends any Temporal server of this run
  // still running: none outlives `npm test` (issue 16).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
