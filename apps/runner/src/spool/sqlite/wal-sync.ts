import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

/**
 * The fsync that makes appends durable, taken off the writer thread. Appends commit at
 * synchronous=NORMAL (in WAL mode: no sync at commit; a checkpoint still syncs the WAL before it
 * copies pages, and the database file before the WAL is reused), and the front (spool.ts, main
 * thread) answers them only after an fdatasync of the WAL file on the thread pool: an fdatasync
 * covers every write to the file before it, whatever descriptor made it. A 200 still means the
 * events are on disk. Meanwhile the writer runs claims, results and the next group's SQL, where
 * synchronous=FULL held it for every sync. (Not on the writer thread: there a sync's callback
 * would wait for the next group's statements, which run synchronously.)
 *
 * A sync starts right after each commit, up to maxInFlight at once (more wait and share one);
 * one that completes answers every commit before it.
 *
 * Jobs become claimable only once durable (`durableJobId`, claims.ts): a job handed to a vendor
 * before its event was on disk could be delivered, lost with the machine, and delivered again
 * when the unanswered client retries.
 */
export interface WalSync {
  /** Calls `answer` once every commit made so far is on disk (with the error if the sync failed). */
  afterCommit(lastJobId: number | undefined, answer: (error?: Error) => void): void;
  /** Highest job id known to be on disk: claims take no job above it. */
  readonly durableJobId: number;
  /** Syncs now, on this thread, and answers everything still waiting (close). */
  flushSync(): void;
}

interface Group {
  answers: ((error?: Error) => void)[];
  jobId: number;
  done: boolean;
}

/** Syncs under way at once: each starts right after its commit (the file system joins them into its journal commits). */
const maxInFlight = 4;

export function createWalSync(walPath: string | undefined, initialJobId: number): WalSync {
  let fd: number | undefined;
  let durableJobId = initialJobId;
  /** Groups whose sync is under way, oldest first; `waiting` takes commits while maxInFlight are. */
  const inFlight: Group[] = [];
  let waiting: Group | undefined;

  // Opened at the first commit: the writer's connection has made the WAL by then, and SQLite
  // deletes it only when the last connection closes (the writer's, at close()).
  const walFd = (path: string): number => (fd ??= openSync(path, 'r'));

  const failure = (error: NodeJS.ErrnoException): Error =>
    new Error(`the spool could not sync its file to disk (${error.code ?? error.message}); the events may not be stored`);

  const settle = (group: Group, error: Error | undefined): void => {
    if (group.done) return;
    group.done = true;
    if (error === undefined && group.jobId > durableJobId) durableJobId = group.jobId;
    for (const answer of group.answers) answer(error);
  };

  const start = (path: string): void => {
    if (inFlight.length >= maxInFlight || waiting === undefined) return;
    const group = waiting;
    waiting = undefined;
    let target: number;
    try {
      target = walFd(path);
    } catch (error) {
      settle(group, failure(error as NodeJS.ErrnoException));
      return;
    }
    inFlight.push(group);
    fdatasync(target, (error) => {
      // A sync covers every write before it began, so the groups before this one are on disk too.
      const at = inFlight.indexOf(group);
      const covered = at < 0 ? [group] : inFlight.splice(0, at + 1);
      for (const g of covered) settle(g, error === null ? undefined : failure(error));
      start(path);
    });
  };

  return {
    afterCommit(lastJobId, answer) {
      if (walPath === undefined) {
        // In memory: nothing to sync.
        durableJobId = Math.max(durableJobId, lastJobId ?? 0);
        answer();
        return;
      }
      // Job ids grow with commits, and settle() only raises durableJobId: the group's highest will do.
      waiting ??= { answers: [], jobId: 0, done: false };
      waiting.answers.push(answer);
      waiting.jobId = Math.max(waiting.jobId, lastJobId ?? 0);
      start(walPath);
    },
    get durableJobId() {
      return durableJobId;
    },
    flushSync() {
      const groups = [...inFlight.splice(0), ...(waiting === undefined ? [] : [waiting])];
      waiting = undefined;
      let error: Error | undefined;
      try {
        // No descriptor: no commit is waiting (its sync would have opened one, or failed it).
        if (fd !== undefined) fdatasyncSync(fd);
      } catch (e) {
        error = failure(e as NodeJS.ErrnoException);
      }
      for (const group of groups) settle(group, error);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
