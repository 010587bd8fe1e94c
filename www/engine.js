// The page's side of an engine worker (worker.js): the same calls as the wasm Engine, as messages, so every
// model runs off the page's thread. app.js (loaded after this classic script) picks the engines; this file
// only carries calls and answers, and says when a worker has died.
'use strict';

/// An engine's worker stopped (a trap, out of memory, a crash): its models and runs are gone with it.
class EngineDied extends Error {
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
    const url = new URL(`worker.js?v=${encodeURIComponent(files.glue.split('/').pop())}`, document.baseURI);
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

  call(op, args, transfer = []) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  loadModel(bytes) {
    return this.call('load', { bytes });
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
