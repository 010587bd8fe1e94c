// Weights and real test images: fetched once (with progress, and given up when stalled), loaded into
// each engine once.
import { errorText, memo } from './async.js';
import { asset } from './build.js';
import { $ } from './dom.js';
import { offlineCopy, outdated } from './offline.js';
import { EngineDied } from './channel.js';
import { f, view } from './state.js';
import { datasetOf, vocab } from './vocab.js';

const modelBytes = new Map(); // "gan-mnist" -> Promise<Uint8Array>, shared by both backends
export const loading = new Map(); // key -> progress text

function showLoading(key, text) {
  if (text) loading.set(key, text);
  else loading.delete(key);
  const el = $('#loading');
  el.textContent = [...loading.values()].join(' · ');
  el.hidden = loading.size === 0;
}

// A download that receives nothing for this long is given up (and tried again on the next use).
const STALL_MS = 20_000;

/// A shipped data file's bytes (`path` as in the source tree, `models/…`; fetched under this build's name
/// for it), reporting progress as they arrive. A download that stalls, fails or arrives cut short rejects
/// with a message saying which; nothing of it is kept, so the next use fetches it again.
export async function fetchBytes(path, onProgress = () => {}) {
  const url = asset(path);
  const stop = new AbortController();
  let timer = null;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stop.abort(new Error(`the download of ${path} stalled (nothing arrived for ${STALL_MS / 1000} s)`)), STALL_MS);
  };
  try {
    watch();
    const r = await fetch(url, { signal: stop.signal });
    if (r.status === 404 && outdated()) throw new Error(`${path} of this version of the page is gone from the server: reload for the new version`);
    if (!r.ok) throw new Error(`can't fetch ${path} (HTTP ${r.status})`);
    const total = Number(r.headers.get('content-length')) || 0;
    const reader = r.body.getReader();
    const chunks = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
      watch();
      onProgress(got, total);
    }
    // A body cut short (a dropped connection) is no file; content-length counts the bytes on the wire.
    if (total && got < total && !r.headers.get('content-encoding')) throw new Error(`the download of ${path} was cut short (${got} of ${total} bytes)`);
    const bytes = new Uint8Array(got);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  } catch (e) {
    throw stop.signal.aborted ? stop.signal.reason : e;
  } finally {
    clearTimeout(timer);
  }
}

export function fetchModel(key) {
  if (!modelBytes.has(key)) {
    const p = (async () => {
      showLoading(key, `loading ${key} weights…`);
      try {
        return await fetchBytes(`models/${vocab.models[key]}`, (got, total) =>
          showLoading(key, total ? `loading ${key} weights ${Math.min(99, Math.floor((100 * got) / total))}%` : `loading ${key} weights ${(got / 1e6).toFixed(1)} MB`),
        );
      } finally {
        showLoading(key, '');
        offlineCopy();
      }
    })();
    p.catch(() => modelBytes.delete(key)); // a failed fetch may be retried
    modelBytes.set(key, p);
  }
  return modelBytes.get(key);
}

/// Loads a model into engine `e` once (the bytes are fetched once for all engines).
export function ensureLoaded(e, key) {
  if (!e.loaded.has(key)) {
    const p = fetchModel(key)
      .then((bytes) => e.lock(() => e.wasm.loadModel(`models/${vocab.models[key]}`, bytes)))
      .catch((err) => {
        if (err instanceof EngineDied) throw err;
        modelBytes.delete(key); // bytes the engine refused (damaged, another model's): fetched again next time
        throw new Error(`couldn't load the ${key} weights: ${errorText(err)}`);
      });
    p.catch(() => e.loaded.delete(key));
    e.loaded.set(key, p);
  }
  return e.loaded.get(key);
}

/// The models the current view needs first: fetched at start, before anyone asks.
export function neededModels() {
  const families = view === 'compare' ? vocab.families : view === 'play' ? [f.family.value] : [];
  return families.map((family) => `${family}-${f.dataset.value}`);
}

// Real test images: 100 per dataset, 784 bytes each, image i of class floor(i / 10).
export const testImages = memo(async (dataset) => {
  const path = `models/${datasetOf(dataset).picks}`;
  const bytes = await fetchBytes(path);
  if (bytes.length !== 100 * 784) throw new Error(`${path} has ${bytes.length} bytes, not 100 images of 784`);
  return bytes;
});

// Real features of the scoreboard's shuffled test images: precision and recall's real side, and what a
// sample's nearest-neighbour distance is read against.
export const referenceFeatures = memo(async (dataset) => new Float32Array((await fetchBytes(`models/${datasetOf(dataset).reference}`)).buffer));
