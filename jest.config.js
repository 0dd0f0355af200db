/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Workflow tests boot real Temporal servers; give them time, never shortened durations.
  testTimeout: 120_000,
  // Two cores here: each integration file starts its own server, so do not oversubscribe.
  maxWorkers: 2,
};
