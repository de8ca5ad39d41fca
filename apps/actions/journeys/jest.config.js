// Journeys run real terraform/tofu processes and the committed action bundles one after another: serial, generous timeout.
module.exports = { ...require('../../../jest.preset.js'), displayName: 'delivery-journeys', testTimeout: 600000, maxWorkers: 1 };
