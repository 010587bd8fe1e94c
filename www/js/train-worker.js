// A Train worker: the training module (trilemma-train, loaded only here) and one family's Trainer, off the
// page's thread. Same protocol as the engine workers (worker.js): `{id, op, args}` answered `{id, value}`
// or `{id, error, trap}`, in order, one at a time.

let bindings = null; // the training module's exports
let trainer = null; // the wasm Trainer of this worker's family
let queue = Promise.resolve();

const ops = {
  async load({ glue, wasm }) {
    bindings = await import(glue);
    await bindings.default({ module_or_path: wasm });
    return bindings.vocabulary();
  },
  decodeLink: ({ query }) => bindings.decodeLink(query),
  encodeLink: ({ fields }) => bindings.encodeLink(fields),
  checkSetup: ({ fields }) => bindings.checkSetup(fields),
  dataPoints: ({ fields }) => bindings.dataPoints(fields),
  async start({ backend, family, fields }) {
    if (trainer) trainer.free();
    trainer = null;
    trainer = await bindings.Trainer.create(backend, family, fields);
    return { backend: trainer.backend };
  },
  async advance({ steps, from, t }) {
    if (!trainer) throw new Error('no training has started');
    const progress = await trainer.advance(steps, from);
    // The picture only when asked (`t` given): the page draws a few times a second, training runs more.
    if (t != null) progress.picture = await trainer.picture(t);
    return progress;
  },
};

async function answer({ id, op, args }) {
  try {
    if (!(op in ops)) throw new Error(`unknown training operation "${op}"`);
    if (op !== 'load' && !bindings) throw new Error('the training module has not loaded');
    self.postMessage({ id, value: await ops[op](args || {}) });
  } catch (e) {
    const trap = e instanceof WebAssembly.RuntimeError;
    self.postMessage({ id, error: String((e && e.message) || e), trap });
  }
}

self.onmessage = (event) => {
  queue = queue.then(() => answer(event.data));
};
