// The page's engine: which backend (never an emulated GPU by choice), a pool of CPU workers or one WebGPU
// worker, and the fallback when a worker dies or the GPU goes away.
import { Cancelled, errorText, makeLock } from './async.js';
import { $ } from './dom.js';
import { setNotice } from './notices.js';
import { EngineDied, EnginePool } from './remote.js';
import { f } from './state.js';
import { vocab } from './vocab.js';
import { ensureLoaded } from './weights.js';

export const BACKEND_NAMES = { webgpu: 'WebGPU', cpu: 'CPU' };

// Errors of a WebGPU engine whose text says this mean the GPU went away: the page moves to the CPU.
const DEVICE_LOST = /\bdevice\b.{0,40}\blost\b|\blost\b.{0,40}\bdevice\b/i;

let settleReady = null;
/// Settles once the page has started, with the first engine's {backend, adapter, workers}.
export const ready = new Promise((resolve, reject) => (settleReady = { resolve, reject }));

/// The page's start (a promise of the first engine's info) settles `ready`.
export function settleReadyWith(start) {
  start.then(settleReady.resolve, settleReady.reject);
  return ready;
}

export function timingText(n, ms, backend) {
  return `${n} samples in ${ms.toFixed(0)} ms on ${BACKEND_NAMES[backend]} (${(ms / n).toFixed(1)} ms per sample)`;
}

const engines = new Map(); // "backend×workers" -> Promise<engine>: one each, shared by the page and the benchmark
export let engine = null; // the page's engine: { backend, adapter, wasm: RemoteEngine, loaded: Map<key, Promise>, lock }

/// The browser's WebGPU adapter: its name, and whether it only emulates a GPU in software (SwiftShader and
/// the like, or what the browser marks as a fallback adapter), where these models run far slower than on
/// the CPU path (here: diffusion 38×, the GAN ~200×). Asked once: the start-up choice and the engine's
/// label share the answer.
let adapterAnswer = null;
function webgpuAdapter() {
  adapterAnswer ??= askAdapter();
  return adapterAnswer;
}

async function askAdapter() {
  try {
    const adapter = await navigator.gpu.requestAdapter();
    const info = adapter && (adapter.info || (adapter.requestAdapterInfo && (await adapter.requestAdapterInfo())));
    const text = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : '';
    const software = Boolean(adapter && (adapter.isFallbackAdapter || info?.isFallbackAdapter)) || /swiftshader|llvmpipe|lavapipe/i.test(text);
    return { name: text || 'unknown adapter', software };
  } catch (e) {
    return { name: 'unknown adapter', software: false };
  }
}

/// The backend a visit starts on: WebGPU, unless its only adapter is a software one — then the CPU path,
/// with a notice saying so (the backend menu still switches to WebGPU).
export async function startingBackend() {
  if (!navigator.gpu) return { backend: 'webgpu' }; // setBackend then says that WebGPU is missing
  const { name, software } = await webgpuAdapter();
  if (!software) return { backend: 'webgpu' };
  const notice = `This browser's WebGPU adapter (${name}) emulates a GPU in software, slower than the CPU here: running on the CPU. The backend menu switches to WebGPU anyway.`;
  return { backend: 'cpu', notice };
}

// CPU workers per engine: one per core, 1–8 (setBackend and bench take another count).
export let cpuWorkers = null;

/// Starts the page's first engine: WebGPU, or the CPU path where WebGPU is only emulated.
export async function startEngine() {
  cpuWorkers = Math.min(vocab.maxWorkers, Math.max(1, navigator.hardwareConcurrency || 1));
  const start = await startingBackend();
  const info = await setBackend(start.backend);
  if (start.notice) setNotice('backend', start.notice);
  return info;
}

export function checkWorkers(workers, what) {
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= vocab.maxWorkers)) {
    throw new Error(`${what}: workers must be a whole number 1–${vocab.maxWorkers}, got ${JSON.stringify(workers)}`);
  }
  return workers;
}

/// The engine of `backend`: one WebGPU worker, or a pool of `workers` CPU workers sharing each batch.
export function engineFor(backend, workers = cpuWorkers) {
  const size = backend === 'cpu' ? workers : 1;
  const key = `${backend}×${size}`;
  if (!engines.has(key)) {
    const p = (async () => {
      if (backend === 'webgpu' && !navigator.gpu) throw new Error('WebGPU is not available: this browser has no navigator.gpu');
      const wasm = await EnginePool.start(backend, size);
      wasm.onDeath = () => engines.get(key) === p && engines.delete(key); // the next call starts a new one
      const adapter = backend === 'webgpu' ? (await webgpuAdapter()).name : `wasm, SIMD, ${size} worker${size > 1 ? 's' : ''}`;
      return { backend, workers: size, adapter, wasm, loaded: new Map(), lock: makeLock() };
    })();
    p.catch(() => engines.delete(key));
    engines.set(key, p);
  }
  return engines.get(key);
}

function useEngine(e) {
  engine = e;
  f.backend.value = e.backend;
  $('#backend').textContent = `backend: ${BACKEND_NAMES[e.backend]} — ${e.adapter}`;
}

/// Switches to `backend` (the CPU path with `workers` workers, when given); WebGPU falls back to the CPU
/// with a visible notice when it can't start.
export async function setBackend(backend, { workers } = {}) {
  if (backend !== 'webgpu' && backend !== 'cpu') throw new Error(`unknown backend "${backend}" (webgpu or cpu)`);
  if (workers !== undefined) cpuWorkers = checkWorkers(workers, 'setBackend');
  try {
    useEngine(await engineFor(backend));
    setNotice('backend', '');
  } catch (e) {
    if (backend !== 'webgpu') throw e;
    useEngine(await engineFor('cpu'));
    setNotice('backend', 'WebGPU is not available in this browser here, so the models run on the CPU instead (slower on large batches).', errorText(e));
  }
  return { backend: engine.backend, adapter: engine.adapter, workers: engine.workers };
}

/// Runs fn(engine) on the page's engine. When the engine's worker dies under it (a trap, out of memory)
/// it is replaced; when the GPU goes away the page moves to the CPU. Either way the page says so in a
/// notice and fn runs once more on the new engine.
export async function withFallback(fn) {
  await ready;
  const e = engine;
  try {
    return await fn(e);
  } catch (err) {
    const died = err instanceof EngineDied;
    const lost = e.backend === 'webgpu' && (died || DEVICE_LOST.test(errorText(err)));
    if (err instanceof Cancelled || !(died || lost)) throw err;
    if (engine === e) {
      e.wasm.terminate(); // a lost GPU's worker too: its engine is of no further use
      useEngine(await engineFor(lost ? 'cpu' : e.backend));
      const what = lost ? 'The GPU engine stopped' : 'The engine stopped';
      setNotice('backend', `${what} and was replaced${lost ? ' by the CPU path' : ''}; the last request ran again.`, died ? err.reason : errorText(err));
    }
    return fn(engine);
  }
}

/// Runs fn(wasm engine) once `models` are loaded; resolves to {out, ms, backend}, where ms times fn
/// alone (not the wait for the weights or for other calls).
export function engineCall(models, fn) {
  return withFallback(async (e) => {
    await Promise.all(models.map((key) => ensureLoaded(e, key)));
    return e.lock(async () => {
      const t0 = performance.now();
      const out = await fn(e.wasm);
      return { out, ms: performance.now() - t0, backend: e.backend };
    });
  });
}
