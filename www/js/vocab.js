// The wasm module's exports and its vocabulary (src/vocabulary.rs: families, datasets, class names, option
// names, ranges, defaults, model files), read once at start: none of it is repeated in the page.
import { startWasm } from './build.js';

export let bindings = null; // the wasm module's exports, once loaded
export let vocab = null;

/// Starts the wasm module, then reads its vocabulary.
export async function loadVocabulary() {
  bindings = await startWasm();
  vocab = bindings.vocabulary();
}

/// How the page writes a backend's name (`webgpu` → WebGPU).
export function backendLabel(name) {
  return vocab.backends.find((b) => b.name === name)?.label ?? name;
}

/// A backend menu's entries.
export function backendOptions() {
  return vocab.backends.map(({ name, label }) => new Option(label, name));
}

export function datasetOf(name) {
  return vocab.datasets.find((d) => d.name === name);
}

export function classNames(dataset) {
  return datasetOf(dataset).classes;
}
