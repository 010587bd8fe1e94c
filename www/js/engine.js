// The page's engine: which backend (never an emulated GPU by choice), a pool of CPU workers or one WebGPU
// worker, and the fallback when a worker dies or the GPU goes away.
import { errorText, makeLock, track } from './async.js';
import { $ } from './dom.js';
import { setNotice } from './notices.js';
import { DeviceLost, EngineDied, EngineHung } from './channel.js';
import { EnginePool } from './remote.js';
import { f } from './state.js';
import { backendLabel, vocab } from './vocab.js';
import { ensureLoaded } from './weights.js';

let settleReady = null;
/// Settles once the page has started, with the first engine's {backend, adapter, workers}.
export const ready = new Promise((resolve, reject) => (settleReady = { resolve, reject }));

/// The page's start (a promise of the first engine's info) settles `ready`.
export function settleReadyWith(start) {
  start.then(settleReady.resolve, settleReady.reject);
  return ready;
}

export function timingText(n, ms, backend) {
  return `${n} samples in ${ms.toFixed(0)} ms on ${backendLabel(backend)} (${(ms / n).toFixed(1)} ms per sample)`;
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
      wasm.onDeath = (err) => {
        if (engines.get(key) === p) engines.delete(key); // the next call starts a new one
        // A lost GPU is left at once, not on the next call.
        if (err instanceof DeviceLost && engine?.wasm === wasm) track(replace(engine, err).catch(() => {}));
      };
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
  $('#backend').textContent = `backend: ${backendLabel(e.backend)} — ${e.adapter}`;
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

const replacements = new WeakMap(); // a dead engine -> the promise of the engine that took its place

/// The engine that takes over from `e`, dead of `err` (an EngineDied): the CPU path when e ran on the GPU,
/// a fresh one of e's kind otherwise. When e was the page's engine the new one becomes it, with a notice.
function replace(e, err) {
  if (!replacements.has(e)) {
    const p = (async () => {
      e.wasm.terminate();
      const gpu = e.backend === 'webgpu';
      const next = await engineFor(gpu ? 'cpu' : e.backend);
      if (engine === e) {
        useEngine(next);
        const where = gpu ? ' by the CPU path' : '';
        const text =
          err instanceof DeviceLost
            ? 'The GPU stopped working (its device was lost), so the models now run on the CPU.'
            : err instanceof EngineHung
              ? `The engine stopped answering and was replaced${where}; the request it was working on was not run again.`
              : `The engine stopped and was replaced${where}; the last request ran again.`;
        setNotice('backend', text, err.reason);
      }
      return next;
    })();
    p.catch((x) => setNotice('backend', "The engine stopped and a new one couldn't start.", errorText(x)));
    replacements.set(e, p);
  }
  return replacements.get(e);
}

/// Runs fn(engine) on the page's engine. When the engine dies under it — its worker trapped or crashed,
/// its GPU device was lost (told by the worker, never read from an error's words) — it is replaced (a GPU
/// engine by the CPU path) and fn runs once more on the new one; a worker that stopped answering is
/// replaced too, but the call that hung rejects instead of running again. Other errors (a bad option, a
/// cancel) are the caller's: they change no engine.
export async function withFallback(fn) {
  await ready;
  const e = engine;
  try {
    return await fn(e);
  } catch (err) {
    if (!(err instanceof EngineDied)) throw err;
    await replace(e, err);
    if (err instanceof EngineHung) throw err;
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
