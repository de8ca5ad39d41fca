module.exports = { ...require('../../jest.preset.js'), displayName: 'infra', testTimeout: 60000 }; // tests spawn the real CLI and synthesize every environment
