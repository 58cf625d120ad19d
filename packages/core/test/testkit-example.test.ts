import { runConformance } from '@signal/core/testkit';
import { exampleAccept, exampleEvents, examplePlugin, exampleRecords } from './fixtures/example-plugin.js';

// The kit passes a correct plugin.
runConformance({
  plugin: examplePlugin,
  settings: { api_key: 'example-secret-key' },
  events: exampleEvents,
  vendor: { accept: exampleAccept, records: exampleRecords },
});
