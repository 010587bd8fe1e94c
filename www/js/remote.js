// The page's side of an engine worker (worker.js): the same calls as the wasm Engine, as messages, so every
// model runs off the page's thread. engine.js picks the engines; this file only carries calls and answers,
// and says when a worker has died.

/// An engine's worker stopped (a trap, out of memory, a crash): its models and runs are gone with it.
export class EngineDied extends Error {
  constructor(reason) {
    super(`the engine stopped (${reason})`);
    this.reason = reason;
  }
}

/// Where the wasm module's JavaScript glue and binary are: Trunk names them (with a content hash) in the
/// page's preload links.
function wasmFiles() {
  const href = (selector) => {
    const link = document.querySelector(selector);
    if (!link) throw new Error(`the page lacks its ${selector} link`);
    return new URL(link.getAttribute('href'), document.baseURI).href;
  };
  return { glue: href('link[rel=modulepreload][href$=".js"]'), wasm: href('link[rel=preload][href$=".wasm"]') };
}

class RemoteEngine {
  /// A worker running an engine on `backend` ("webgpu" or "cpu"); rejects when it cannot start.
  static async start(backend) {
    const files = wasmFiles();
    // The glue's hash in the worker's address: a new build never runs an old worker from a cache.
    const url = new URL(`worker.js?v=${encodeURIComponent(files.glue.split('/').pop())}`, import.meta.url);
    const engine = new RemoteEngine(new Worker(url, { type: 'module' }), backend);
    try {
      await engine.call('start', { ...files, backend });
    } catch (e) {
      engine.terminate();
      throw e;
    }
    return engine;
  }

  constructor(worker, backend) {
    this.worker = worker;
    this.backend = backend;
    this.pending = new Map(); // id -> {resolve, reject}
    this.nextId = 1;
    this.dead = null; // the EngineDied error, once the worker is gone
    this.onDeath = null; // called once, when it dies
    worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      this.pending.delete(data.id);
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

  /// Ends the worker: every call in flight and every later one rejects with the returned EngineDied.
  die(reason) {
    if (!this.dead) {
      this.dead = new EngineDied(reason);
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

  call(op, args) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  loadModel(file, bytes) {
    return this.call('load', { file, bytes });
  }

  /// WebGPU compute dispatches the worker has made so far.
  dispatches() {
    return this.call('dispatches');
  }

  generate(opts) {
    return this.call('generate', { opts });
  }

  decode(opts) {
    return this.call('decode', { opts });
  }

  interpolate(opts) {
    return this.call('interpolate', { opts });
  }

  encode(opts) {
    return this.call('encode', { opts });
  }

  noise(opts) {
    return this.call('noise', { opts });
  }

  realness(opts) {
    return this.call('realness', { opts });
  }

  flops(opts) {
    return this.call('flops', { opts });
  }

  classify(opts) {
    return this.call('classify', { opts });
  }

  precisionRecall(real, generated, dim) {
    return this.call('precisionRecall', { real, generated, dim });
  }

  nearest(set, queries, dim, k) {
    return this.call('nearest', { set, queries, dim, k });
  }

  async startRun(opts, start) {
    const { run, len } = await this.call('startRun', { opts, start });
    return new RemoteRun(this, run, len);
  }
}

/// A diffusion run that lives in an engine worker; `position` and `done` are those of its last step.
class RemoteRun {
  constructor(engine, id, len) {
    this.engine = engine;
    this.id = id;
    this.len = len;
    this.position = 0;
    this.done = len === 0;
  }

  /// Takes up to `k` steps; resolves to how many were taken.
  async step(k) {
    const { taken, position, done } = await this.engine.call('step', { run: this.id, k });
    this.position = position;
    this.done = done;
    return taken;
  }

  frame(index) {
    return this.engine.call('frame', { run: this.id, index });
  }

  images() {
    return this.engine.call('images', { run: this.id });
  }

  free() {
    return this.engine.dead ? Promise.resolve() : this.engine.call('free', { run: this.id });
  }
}

/// Concatenates the answers of a request's parts (in order): typed arrays end to end, counts summed, the
/// rest (sizes, step indices, a frame's null x̂0) as the first part has them.
function joinParts(answers) {
  const out = { ...answers[0] };
  for (const [key, value] of Object.entries(out)) {
    if (key === 'n') out.n = answers.reduce((sum, a) => sum + a.n, 0);
    else if (ArrayBuffer.isView(value)) {
      const joined = new value.constructor(answers.reduce((sum, a) => sum + a[key].length, 0));
      let at = 0;
      for (const a of answers) {
        joined.set(a[key], at);
        at += a[key].length;
      }
      out[key] = joined;
    }
  }
  return out;
}

/// CPU workers sharing every batch: each draws a contiguous part of the samples (`first`, `count`), which
/// the engine draws exactly as in one piece, so the pixels never depend on the number of workers. Small
/// single-image calls go to the first worker. If one worker dies the pool dies with it.
export class EnginePool {
  static async start(backend, size) {
    const started = await Promise.allSettled(Array.from({ length: size }, () => RemoteEngine.start(backend)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      started.forEach((s) => s.status === 'fulfilled' && s.value.terminate());
      throw failed.reason;
    }
    return new EnginePool(started.map((s) => s.value), backend);
  }

  constructor(members, backend) {
    this.members = members;
    this.backend = backend;
    this.onDeath = null;
    for (const m of members) m.onDeath = (err) => this.die(err.reason);
  }

  get size() {
    return this.members.length;
  }

  get dead() {
    return this.members.map((m) => m.dead).find(Boolean) || null;
  }

  die(reason) {
    for (const m of this.members) m.die(reason);
    const dead = this.dead;
    if (this.onDeath) {
      const notify = this.onDeath;
      this.onDeath = null;
      notify(dead);
    }
    return dead;
  }

  terminate() {
    this.die('closed');
  }

  /// The parts of n samples: contiguous, as even as can be, at most one per worker.
  parts(n) {
    const k = Math.min(this.size, n);
    return Array.from({ length: k }, (_, i) => {
      const first = Math.floor((i * n) / k);
      return { member: this.members[i], first, count: Math.floor(((i + 1) * n) / k) - first };
    });
  }

  /// `fn(member, opts)` on every part of `opts.n` (on the first worker alone when n is absent or no
  /// whole number: the engine's default, or its error).
  split(opts, fn) {
    const n = opts.n;
    if (!Number.isInteger(n) || n < 1 || this.size === 1) return Promise.all([fn(this.members[0], opts)]);
    return Promise.all(this.parts(n).map(({ member, first, count }) => fn(member, { ...opts, first, count })));
  }

  async loadModel(file, bytes) {
    const keys = await Promise.all(this.members.map((m) => m.loadModel(file, bytes)));
    return keys[0];
  }

  async dispatches() {
    return (await Promise.all(this.members.map((m) => m.dispatches()))).reduce((a, b) => a + b, 0);
  }

  async generate(opts) {
    return joinParts(await this.split(opts, (m, o) => m.generate(o)));
  }

  decode(opts) {
    return this.members[0].decode(opts);
  }

  interpolate(opts) {
    return this.members[0].interpolate(opts);
  }

  encode(opts) {
    return this.members[0].encode(opts);
  }

  noise(opts) {
    return this.members[0].noise(opts);
  }

  realness(opts) {
    return this.members[0].realness(opts);
  }

  flops(opts) {
    return this.members[0].flops(opts);
  }

  classify(opts) {
    return this.members[0].classify(opts);
  }

  precisionRecall(real, generated, dim) {
    return this.members[0].precisionRecall(real, generated, dim);
  }

  nearest(set, queries, dim, k) {
    return this.members[0].nearest(set, queries, dim, k);
  }

  async startRun(opts, start) {
    const runs = await this.split(opts, (m, o) => m.startRun(o, start));
    return new PooledRun(runs);
  }
}

/// A diffusion run whose parts step side by side, one per worker, and read as one.
class PooledRun {
  constructor(runs) {
    this.runs = runs;
    this.len = runs[0].len;
    this.position = 0;
    this.done = runs.every((r) => r.done);
  }

  async step(k) {
    const taken = await Promise.all(this.runs.map((r) => r.step(k)));
    this.position = Math.min(...this.runs.map((r) => r.position));
    this.done = this.runs.every((r) => r.done);
    return Math.min(...taken);
  }

  async frame(index) {
    return joinParts(await Promise.all(this.runs.map((r) => r.frame(index))));
  }

  async images() {
    return joinParts(await Promise.all(this.runs.map((r) => r.images())));
  }

  free() {
    return Promise.all(this.runs.map((r) => r.free()));
  }
}
