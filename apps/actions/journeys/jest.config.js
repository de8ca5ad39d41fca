// Journeys run real terraform/tofu processes and the committed action bundles one after another within a file (the
// journeys of a CLI build on each other); the two files run side by side (2 workers: CI's 2 cores). Generous timeout.
module.exports = { ...require('../../../jest.preset.js'), displayName: 'delivery-journeys', testTimeout: 600000, maxWorkers: 2 };
