import { describe, it } from 'vitest';
import { conformanceChecks, type ConformanceOptions } from './conformance.js';

export { startFakeVendor, type FakeVendor, type FakeResponse, type FakeHandler, type RecordedRequest } from './fake-vendor.js';
export { useFakeVendor, type FakeVendorHandle } from './use-fake-vendor.js';
export { conformanceChecks, fixtureEvents, type ConformanceOptions, type ConformanceCheck } from './conformance.js';
export { secretVariants, findSecret } from './secret-variants.js';
export { seededRandom } from './seeded-random.js';

/**
 * Registers the conformance suite with vitest: call it at the top level of a
 * plugin's test file. Checks gated by undeclared capabilities show as skipped.
 */
export function runConformance(options: ConformanceOptions): void {
  describe(`conformance: ${options.plugin.id}`, () => {
    for (const c of conformanceChecks(options)) {
      if (c.skip !== undefined) it.skip(`${c.name} (${c.skip})`, () => {});
      // The kit's own deadline: a third-party project's default (5 s) is too short for its batching probe.
      else it(c.name, () => c.run(), 60_000);
    }
  });
}
