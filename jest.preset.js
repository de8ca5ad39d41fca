// Shared jest preset: @swc/jest transforms TypeScript without type-checking (typecheck is its own Nx target),
// which keeps test start-up fast; workspace packages resolve to their sources like tsconfig.base.json's paths.
const path = require('node:path');
const root = __dirname;
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleNameMapper: {
    '^@awp/([a-z-]+)$': path.join(root, 'libs/$1/src/index.ts'),
    '^@awp/config/naming$': path.join(root, 'libs/config/src/naming.ts'),
    '^@awp/guardrails/testing$': path.join(root, 'libs/guardrails/src/testing.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
