// Tests start the real server as child processes and talk HTTP to it; one worker, because the fault
// tests stop and restart the shared PostgreSQL and Redis that the other test files use too.
module.exports = { ...require('../../jest.preset.js'), displayName: 'api', testTimeout: 30_000, maxWorkers: 1 };
