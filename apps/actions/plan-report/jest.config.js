// The tests spawn the bundled dist/index.js (rebuilt in beforeAll) against a fake GitHub API; allow for that.
module.exports = { ...require('../../../jest.preset.js'), displayName: 'action-plan-report', testTimeout: 30000 };
