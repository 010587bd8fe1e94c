// Async plumbing that knows nothing about models: cancel tokens, locks, yields, latest-only jobs.

/// Thrown into a cancelled run's callers; never shown as an error.
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export function errorText(e) {
  return String((e && e.message) || e);
}

/// A cancellation flag handed to long loops.
export function makeToken() {
  return {
    cancelled: false,
    cancel() {
      this.cancelled = true;
    },
    check() {
      if (this.cancelled) throw new Cancelled();
    },
  };
}

/// Serialises async calls: wasm objects must not be used again while one of their async methods is
/// still running, so every call on an engine (and on its runs) goes through its lock.
export function makeLock() {
  let tail = Promise.resolve();
  return (fn) => {
    const result = tail.then(fn);
    tail = result.catch(() => {});
    return result;
  };
}

// A zero-delay yield to the event loop (setTimeout is clamped to 4 ms in loops; a message is not), so
// a loop of short wasm calls keeps the page painting and answering input.
const yieldChannel = new MessageChannel();
const yieldWaiters = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()();
export function nextTask() {
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

// Everything in flight, so that `idle()` can wait for the page to settle.
const inFlight = new Set();
export function track(promise) {
  inFlight.add(promise);
  promise.finally(() => inFlight.delete(promise)).catch(() => {});
  return promise;
}
export async function idle() {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}

/// `fn(key)`'s promise, made once per key; a failed one is forgotten, so the next call tries again.
export function memo(fn) {
  const made = new Map();
  return (key) => {
    if (!made.has(key)) {
      const p = fn(key);
      p.catch(() => made.delete(key));
      made.set(key, p);
    }
    return made.get(key);
  };
}

/// Wraps an async function so at most one call runs and one waits: a newer call replaces the waiting
/// one, whose promise resolves to undefined without running. Sliders call it at every move.
export function latestOnly(fn) {
  let running = false;
  let waiting = null; // { args, resolve, reject }
  async function pump() {
    running = true;
    while (waiting) {
      const job = waiting;
      waiting = null;
      try {
        job.resolve(await fn(...job.args));
      } catch (e) {
        job.reject(e);
      }
    }
    running = false;
  }
  return (...args) =>
    track(
      new Promise((resolve, reject) => {
        if (waiting) waiting.resolve(undefined);
        waiting = { args, resolve, reject };
        if (!running) pump();
      }),
    );
}
