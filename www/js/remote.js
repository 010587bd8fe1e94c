// The page's side of an engine worker (worker.js): the same calls as the wasm Engine, as messages, so every
// model runs off the page's thread. engine.js picks the engines; this file only carries calls and answers,
// and counts each call's work for its time limit (channel.js says when a worker has died, lost its GPU or
// stopped answering).
import { wasmFiles } from './build.js';
import { EngineDied, WorkerChannel, startAll } from './channel.js';
import { bindings, vocab } from './vocab.js';

/// The cost of a request's work as the engine counts it, for `n` samples: `{samples, steps, guided,
/// passes}` (no passes for invalid options: the engine refuses those at once).
function costOf(opts, n) {
  const options = Object.fromEntries(vocab.options.filter((k) => k in opts).map((k) => [k, opts[k]]));
  try {
    return bindings.runCost({ ...options, n });
  } catch {
    return { steps: 1, passes: 0 };
  }
}

class RemoteEngine extends WorkerChannel {
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
    super(worker);
    this.backend = backend;
  }

  /// Sends `op`; its answer is due within the limits' time for a call plus its `passes` of model work,
  /// counted from when the calls sent before it were answered.
  call(op, args, passes = 0) {
    const { answerMs, msPerPass, startMs } = vocab.limits;
    const ms = op === 'start' ? startMs : answerMs + passes * msPerPass;
    const what = `${op === 'start' ? 'starting' : `a ${op} call`}${passes ? ` of ${passes} model passes` : ''}`;
    return this.send(op, args, { ms, what });
  }

  loadModel(file, bytes) {
    return this.call('load', { file, bytes });
  }

  /// What the worker holds and has done so far: `{dispatches, wasmBytes, gpuBytes, gpuBuffers, heapBytes}`.
  usage() {
    return this.call('usage');
  }

  generate(opts) {
    return this.call('generate', { opts }, costOf(opts, opts.count ?? opts.n).passes);
  }

  decode(opts) {
    return this.call('decode', { opts }, costOf(opts, vocab.ranges.n.max).passes); // at most n codes
  }

  interpolate(opts) {
    return this.call('interpolate', { opts }, costOf(opts, opts.frames ?? vocab.ranges.frames.default).passes);
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
    const cost = costOf(opts, opts.count ?? opts.n);
    return new RemoteRun(this, run, len, cost.passes / cost.steps);
  }
}

/// A diffusion run that lives in an engine worker; `position` and `done` are those of its last step.
class RemoteRun {
  constructor(engine, id, len, passesPerStep) {
    this.engine = engine;
    this.id = id;
    this.len = len;
    this.passesPerStep = passesPerStep;
    this.position = 0;
    this.done = len === 0;
  }

  /// Takes up to `k` steps; resolves to how many were taken.
  async step(k) {
    const { taken, position, done } = await this.engine.call('step', { run: this.id, k }, Math.ceil(k * this.passesPerStep));
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
    return new EnginePool(await startAll(size, () => RemoteEngine.start(backend)), backend);
  }

  constructor(members, backend) {
    this.members = members;
    this.backend = backend;
    this.onDeath = null;
    for (const m of members) m.onDeath = (err) => this.die(err.reason, err.constructor);
  }

  get size() {
    return this.members.length;
  }

  get dead() {
    return this.members.map((m) => m.dead).find(Boolean) || null;
  }

  die(reason, Kind = EngineDied) {
    for (const m of this.members) m.die(reason, Kind);
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

  /// Every worker's usage, summed (a JS heap size only where each worker tells it).
  async usage() {
    const all = await Promise.all(this.members.map((m) => m.usage()));
    return Object.fromEntries(
      Object.keys(all[0]).map((k) => [k, all.some((u) => u[k] === null) ? null : all.reduce((sum, u) => sum + u[k], 0)]),
    );
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
