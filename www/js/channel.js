// A worker spoken to by messages — the engine workers (worker.js) and the Train view's (train-worker.js):
// `{id, op, args}` answered in order by `{id, value}` or `{id, error, trap}`, or `{lost}` when a WebGPU
// worker's device is gone. Every call has a time limit; a trap, a crash, a lost device or a call left
// unanswered past its limit ends the worker, and every call in flight and after rejects saying why.

/// An engine's worker stopped (a trap, out of memory, a crash): its models and runs are gone with it.
export class EngineDied extends Error {
  constructor(reason, message = `the engine stopped (${reason})`) {
    super(message);
    this.reason = reason;
  }
}

/// The GPU device of a WebGPU worker was lost (its `device.lost` settled): the worker is of no more use.
export class DeviceLost extends EngineDied {
  constructor(reason) {
    super(reason, `the GPU device was lost (${reason})`);
  }
}

/// A call went unanswered past its time limit: its worker was given up as hung.
export class EngineHung extends EngineDied {
  constructor(reason) {
    super(reason, `the engine stopped answering (${reason}) and was restarted; try again, or ask for less work`);
  }
}

export class WorkerChannel {
  constructor(worker) {
    this.worker = worker;
    this.pending = new Map(); // id -> {resolve, reject, what, ms}, in the order sent (and answered)
    this.nextId = 1;
    this.timer = null; // the time limit of the oldest call in flight
    this.dead = null; // the EngineDied error, once the worker is gone
    this.onDeath = null; // called once, when it dies
    worker.onmessage = ({ data }) => {
      if (data.lost) {
        this.die(data.lost, DeviceLost);
        return;
      }
      const call = this.pending.get(data.id);
      if (!call) return;
      this.pending.delete(data.id);
      this.watch();
      if (data.trap) {
        call.reject(this.die(data.error));
      } else if ('error' in data) {
        call.reject(new Error(data.error));
      } else {
        call.resolve(data.value);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.die(event.message || 'the worker failed');
    };
    worker.onmessageerror = () => this.die('an answer could not be read');
  }

  /// Ends the worker: every call in flight and every later one rejects with the returned error, a `Kind`
  /// of EngineDied.
  die(reason, Kind = EngineDied) {
    if (!this.dead) {
      this.dead = new Kind(reason);
      clearTimeout(this.timer);
      this.worker.terminate();
      for (const call of this.pending.values()) call.reject(this.dead);
      this.pending.clear();
      if (this.onDeath) this.onDeath(this.dead);
    }
    return this.dead;
  }

  terminate() {
    this.die('closed');
  }

  /// Sends `op`; its answer is due within `ms`, counted from when the calls sent before it were answered
  /// (`what` names the call in the message if it is not).
  send(op, args, { ms, what }) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, what, ms });
      this.worker.postMessage({ id, op, args });
      if (this.pending.size === 1) this.watch();
    });
  }

  /// Times the oldest call in flight — the worker answers in order, so it is the one running: no answer
  /// within its time, and the worker is given up as hung.
  watch() {
    clearTimeout(this.timer);
    const [first] = this.pending.values();
    if (first) this.timer = setTimeout(() => this.die(`no answer to ${first.what} within ${first.ms / 1000} s`, EngineHung), first.ms);
  }
}

/// `count` workers from `start()`, all or none: if one cannot start, those that did are ended and its
/// error is thrown.
export async function startAll(count, start) {
  const started = await Promise.allSettled(Array.from({ length: count }, () => start()));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    started.forEach((s) => s.status === 'fulfilled' && s.value.terminate());
    throw failed.reason;
  }
  return started.map((s) => s.value);
}
