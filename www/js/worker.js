// An engine worker: one wasm instance and one backend's models, off the page's thread. The page (remote.js)
// sends `{id, op, args}`; every message is answered `{id, value}` or `{id, error, trap}`, in order, one at a
// time (a wasm engine must not be re-entered while one of its async calls runs). A trap (a panic, running
// out of memory, a GPU backend failing under a call) poisons the instance: it is reported as such and the
// page replaces this worker. The loss of the GPU device is told as `{lost}` when it happens.

let engine = null; // the wasm Engine
const runs = new Map(); // run id -> wasm Run
let nextRun = 1;
let queue = Promise.resolve();

// WebGPU compute dispatches so far (the benchmark counts them per model pass: fusion's measure), and the GPU
// buffers alive now (the soak watches them stay flat).
let dispatches = 0;
const gpuBuffers = new Map(); // live GPUBuffer -> bytes
if (self.GPUComputePassEncoder) {
  for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) {
    const original = GPUComputePassEncoder.prototype[name];
    GPUComputePassEncoder.prototype[name] = function (...args) {
      dispatches++;
      return original.apply(this, args);
    };
  }
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor) {
    const buffer = createBuffer.call(this, descriptor);
    gpuBuffers.set(buffer, descriptor.size);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function () {
    gpuBuffers.delete(this);
    return destroy.call(this);
  };
}
let wasmMemory = null; // the instance's linear memory

/// What this worker holds now: `{dispatches, wasmBytes, gpuBytes, gpuBuffers, heapBytes}` (the JS heap
/// after a collection where the browser exposes `gc`, as the soak's Chromium does; null where the browser
/// does not tell).
function usage() {
  self.gc?.();
  let gpuBytes = 0;
  for (const size of gpuBuffers.values()) gpuBytes += size;
  return {
    dispatches,
    wasmBytes: wasmMemory ? wasmMemory.buffer.byteLength : 0,
    gpuBytes,
    gpuBuffers: gpuBuffers.size,
    heapBytes: self.performance?.memory?.usedJSHeapSize ?? null,
  };
}

// The GPU device the engine asked for: its loss (`device.lost`, never the words of an error) is told to the
// page at once, which moves to the CPU. A call that fails just as the device goes is answered after that.
// It is `self.gpuDevice`, where the browser tests destroy it.
let lost = null; // settles once the device is lost and the page has been told
const LOST_GRACE_MS = 100; // how long a failed call waits for the loss of the device to show
if (self.GPUAdapter) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    self.gpuDevice = device;
    lost = device.lost.then((info) => device === self.gpuDevice && self.postMessage({ lost: `${info.reason || 'unknown'}: ${info.message}` }));
    return device;
  };
}

/// The typed arrays of an answer hand their memory over instead of being copied (only those owning a
/// whole buffer of their own, never a view into the wasm memory).
function transferables(value) {
  if (!value || typeof value !== 'object') return [];
  return Object.values(value)
    .filter((v) => ArrayBuffer.isView(v) && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
    .map((v) => v.buffer);
}

function run(id) {
  const r = runs.get(id);
  if (!r) throw new Error(`run ${id} is gone`);
  return r;
}

const ops = {
  async start({ glue, wasm, backend }) {
    const bindings = await import(glue);
    wasmMemory = (await bindings.default({ module_or_path: wasm })).memory;
    engine = await bindings.Engine.create(backend);
    return { backend: engine.backend };
  },
  load: ({ file, bytes }) => engine.loadModel(file, bytes),
  usage,
  flops: ({ opts }) => engine.flops(opts),
  generate: ({ opts }) => engine.generate(opts),
  decode: ({ opts }) => engine.decode(opts),
  interpolate: ({ opts }) => engine.interpolate(opts),
  encode: ({ opts }) => engine.encode(opts),
  noise: ({ opts }) => engine.noise(opts),
  realness: ({ opts }) => engine.realness(opts),
  classify: ({ opts }) => engine.classify(opts),
  precisionRecall: ({ real, generated, dim }) => engine.precisionRecall(real, generated, dim),
  nearest: ({ set, queries, dim, k }) => engine.nearest(set, queries, dim, k),
  startRun({ opts, start }) {
    const r = engine.startRun(opts, start);
    const id = nextRun++;
    runs.set(id, r);
    return { run: id, len: r.len };
  },
  step({ run: id, k }) {
    const r = run(id);
    const taken = r.step(k);
    return { taken, position: r.position, done: r.done };
  },
  frame: ({ run: id, index }) => run(id).frame(index),
  images: ({ run: id }) => run(id).images(),
  free({ run: id }) {
    const r = runs.get(id);
    runs.delete(id);
    if (r) r.free();
  },
};

async function answer({ id, op, args }) {
  try {
    if (!(op in ops)) throw new Error(`unknown engine operation "${op}"`);
    if (op !== 'start' && !engine) throw new Error('the engine has not started');
    const value = await ops[op](args || {});
    self.postMessage({ id, value }, transferables(value));
  } catch (e) {
    if (lost) await Promise.race([lost, new Promise((resolve) => setTimeout(resolve, LOST_GRACE_MS))]);
    const trap = e instanceof WebAssembly.RuntimeError;
    self.postMessage({ id, error: String((e && e.message) || e), trap });
  }
}

self.onmessage = (event) => {
  queue = queue.then(() => answer(event.data));
};
