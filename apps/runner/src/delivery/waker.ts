/**
 * A sleep that wake() cuts short. A wake with nobody asleep is remembered, so
 * an append that lands between a claim and the sleep is not missed.
 */
export interface Waker {
  sleep(ms: number): Promise<void>;
  wake(): void;
}

export function createWaker(): Waker {
  let pending: (() => void) | undefined;
  let woken = false;
  return {
    sleep(ms) {
      if (woken) {
        woken = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, Math.max(0, ms));
        function done(): void {
          clearTimeout(timer);
          pending = undefined;
          woken = false;
          resolve();
        }
        pending = done;
      });
    },
    wake() {
      if (pending !== undefined) pending();
      else woken = true;
    },
  };
}
