import { AsyncLocalStorage } from 'node:async_hooks';
import mongoose from 'mongoose';

/**
 * The time budget of one request or socket event, and the bound on how many run at once.
 *
 * A request runs inside `Deadlines.run`: its answer comes within its budget whatever its dependencies
 * do, and every store read it starts carries what is left of the budget to the driver as `timeoutMS`
 * (client-side operation timeouts: the driver gives up on a store that does not answer, and sends
 * `maxTimeMS` so that a store which does answer stops the work too). Writes are left to finish
 * (`carryDeadlinesToStore` says why). Bucket calls get the budget's `signal`; Redis calls have
 * timeouts of their own, shorter than the budget.
 */
export class Deadline {
  /** Epoch ms by which the answer is due. */
  readonly at: number;
  /** Made when a call asks for the signal: most requests never do, and each costs a timer and listeners. */
  private controller: AbortController | undefined;
  private answered = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(budgetMs: number) {
    this.at = Date.now() + budgetMs;
  }

  /** Aborted when the budget is spent: for calls that take an AbortSignal (the bucket). */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      const abort = () => controller.abort(new DeadlineExceeded());
      if (this.expired) abort();
      else if (!this.answered) (this.timer = setTimeout(abort, this.at - Date.now())).unref();
    }
    return this.controller.signal;
  }

  /** Whether the budget is spent. */
  get expired(): boolean {
    return Date.now() >= this.at;
  }

  /**
   * Milliseconds left for a call starting now, at least 1 (0 would mean no limit to the driver); undefined
   * once the request was answered: what it left running, and timers it set (recounts, retries), are
   * background work, which the driver's own timeouts bound.
   */
  left(): number | undefined {
    return this.answered ? undefined : Math.max(1, this.at - Date.now());
  }

  /** @internal */
  settle(): void {
    this.answered = true;
    clearTimeout(this.timer);
  }
}

/** A request ran out of its budget before its dependencies answered. */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  constructor() {
    super('the request ran out of its time budget waiting for a dependency');
  }
}

/** Refused at once: as many requests as the process takes at a time are already waiting. */
export class Overloaded extends Error {
  override name = 'Overloaded';
  constructor() {
    super('too many requests waiting: refused at once');
  }
}

const current = new AsyncLocalStorage<Deadline>();

/** The budget of the request the caller works for, if any. */
export function currentDeadline(): Deadline | undefined {
  return current.getStore();
}

/**
 * A slow dependency's own error (the driver's timeout at the deadline, an aborted bucket call) usually
 * arrives first and says which dependency it was; this much later the answer is sent anyway.
 */
export const DEADLINE_GRACE_MS = 150;

export interface DeadlineOptions {
  /** The time a request or socket event may take, from when it was received (an upload's body read). */
  budgetMs: number;
  /** Requests (REST and socket events) a process works on at once; more are refused at once. */
  maxPending: number;
  /** Called for each request refused because `maxPending` were already running. */
  onShed?: () => void;
  /** Called for each request that failed once its budget was spent. */
  onExpired?: () => void;
  /** Called once for a request whose work is still running OVERDUE_MS after its budget was spent. */
  onOverdue?: (label: string) => void;
}

/** Work this long past its budget waits on something that never answers: worth a warning, with what it was. */
export const OVERDUE_MS = 30_000;

export interface Deadlines {
  readonly budgetMs: number;
  /**
   * Runs `work` within one budget: resolves or rejects as it does, or rejects with DeadlineExceeded
   * once the budget (and a short grace) is spent; rejects with Overloaded at once when `maxPending`
   * requests are already running. A request's place is held until its work ends, not its answer: work
   * that outlives its answer still counts, so what waits on a frozen store stays bounded.
   */
  run<T>(work: (deadline: Deadline) => Promise<T>, label?: string): Promise<T>;
  /** Requests running now (work outliving its answer included). */
  pending(): number;
}

export function createDeadlines(options: DeadlineOptions): Deadlines {
  let pending = 0;
  return {
    budgetMs: options.budgetMs,
    pending: () => pending,
    run<T>(work: (deadline: Deadline) => Promise<T>, label = 'request'): Promise<T> {
      if (pending >= options.maxPending) {
        options.onShed?.();
        return Promise.reject(new Overloaded());
      }
      pending += 1;
      const deadline = new Deadline(options.budgetMs);
      const working = current.run(deadline, async () => work(deadline));
      const overdue = setTimeout(() => options.onOverdue?.(label), options.budgetMs + OVERDUE_MS);
      overdue.unref();
      void working.then(release, release);
      function release() {
        pending -= 1;
        clearTimeout(overdue);
      }
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceeded()), options.budgetMs + DEADLINE_GRACE_MS);
      });
      const answered = () => {
        clearTimeout(timer);
        deadline.settle();
      };
      return Promise.race([working, expired]).then(
        (value) => {
          answered();
          return value;
        },
        (error: unknown) => {
          // Failed once its budget was spent: the driver's timeout, an aborted call, or the grace.
          if (deadline.expired) options.onExpired?.();
          answered();
          throw error;
        },
      );
    },
  };
}

let carried = false;

/**
 * The driver's write operations. A write already sent may be applied by the store whatever the client
 * does (a frozen store applies it when it thaws): cutting the wait short here would not undo it, only
 * stop the writes that follow it in the same change (a like's counters after its edge), leaving half
 * a change behind. So writes are left to finish, bounded by the driver's own timeouts
 * (socketTimeoutMS, server selection; db.ts), while the request is answered at its deadline anyway.
 */
const WRITES = [
  'insertOne', 'insertMany', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany',
  'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete', 'bulkWrite',
] as const;

/**
 * Every read of the MongoDB driver started inside a budget gets what is left of it as `timeoutMS`:
 * the driver reads a collection's `timeoutMS` when it resolves each operation's options (an
 * operation's own `timeoutMS` still wins). Writes, and everything outside a budget, keep the
 * collection's own setting (none: the connection's socket timeout), as before.
 */
export function carryDeadlinesToStore(): void {
  if (carried) return;
  carried = true;
  const prototype = mongoose.mongo.Collection.prototype as unknown as Record<string, unknown>;
  const own = Object.getOwnPropertyDescriptor(prototype, 'timeoutMS');
  if (!own?.get) throw new Error('the MongoDB driver no longer has Collection.timeoutMS: deadlines cannot reach the store');
  const original = own.get;
  Object.defineProperty(prototype, 'timeoutMS', {
    configurable: true,
    get(this: mongoose.mongo.Collection) {
      return current.getStore()?.left() ?? original.call(this);
    },
  });
  for (const name of WRITES) {
    const write = prototype[name];
    if (typeof write !== 'function') throw new Error(`the MongoDB driver no longer has Collection.${name}`);
    prototype[name] = function (this: unknown, ...args: unknown[]) {
      return current.exit(() => write.apply(this, args));
    };
  }
}
