// This build's files: the manifest www/seal.mjs writes into the page (its id and the content-addressed
// name of every data file) and the wasm module's two files, which Trunk names in the page's preload links.

const block = document.getElementById('build');
/// `{build, assets}`: the build's id and, for each shipped data file (`models/gan-mnist.bpk`), the name it
/// has in this build (`models/gan-mnist.<hash>.bpk`).
export const manifest = block ? JSON.parse(block.textContent) : { build: null, assets: {} };

/// The URL of a shipped data file in this build: a name that always means the same bytes.
export function asset(path) {
  const sealed = manifest.assets[path];
  if (!sealed) throw new Error(`${path} is not part of this build`);
  return sealed;
}

/// Where the wasm module's JavaScript glue and binary are (absolute URLs, for the engine workers too).
export function wasmFiles() {
  const href = (selector) => {
    const link = document.querySelector(selector);
    if (!link) throw new Error(`the page lacks its ${selector} link`);
    return new URL(link.getAttribute('href'), document.baseURI).href;
  };
  return { glue: href('link[rel=modulepreload][href$=".js"]'), wasm: href('link[rel=preload][href$=".wasm"]') };
}

/// Starts the wasm module on the page's thread (its vocabulary and link codec); the exports.
export async function startWasm() {
  const { glue, wasm } = wasmFiles();
  const bindings = await import(glue);
  await bindings.default({ module_or_path: wasm });
  return bindings;
}
