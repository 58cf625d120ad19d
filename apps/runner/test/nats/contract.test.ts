import { describe, it } from 'vitest';
import { spoolContract } from '../spool/contract.js';
import { findEventsContract } from '../spool/find-events-contract.js';
import { natsMissing, sandbox, type Sandbox } from './nats-available.js';

// The driver-agnostic spool contract, against JetStream. Nak delays and ack_wait run on
// the server's clock, so the tests that move `now` into the future are skipped (timeTravel: false);
// nats/delivery.test.ts and nats/scale-out.test.ts cover retry times and lease expiry in real time.
let sb: Sandbox | undefined;

if (!natsMissing) {
  spoolContract(
    'nats',
    async () => {
      sb = await sandbox();
      return sb.open({ hold_recheck_ms: 200 });
    },
    async () => {
      await sb?.dispose();
      sb = undefined;
    },
    { timeTravel: false },
  );
  findEventsContract(
    'nats',
    async () => {
      sb = await sandbox();
      return sb.open({ hold_recheck_ms: 200 });
    },
    async () => {
      await sb?.dispose();
      sb = undefined;
    },
  );
} else {
  describe.skip('spool contract: nats', () => it('needs NATS JetStream (see nats-available.ts)', () => undefined));
}
