// The wasm module's exports and its vocabulary (src/vocabulary.rs: families, datasets, class names, option
// names, ranges, defaults, model files), read once at start: none of it is repeated in the page.

export let bindings = null; // the wasm module's exports, once loaded
export let vocab = null;

/// Waits for Trunk's loader to start the wasm module, then reads its vocabulary.
export async function loadVocabulary() {
  bindings = await new Promise((resolve) => {
    if (window.wasmBindings) resolve(window.wasmBindings);
    else addEventListener('TrunkApplicationStarted', () => resolve(window.wasmBindings), { once: true });
  });
  vocab = bindings.vocabulary();
}

export function datasetOf(name) {
  return vocab.datasets.find((d) => d.name === name);
}

export function classNames(dataset) {
  return datasetOf(dataset).classes;
}
