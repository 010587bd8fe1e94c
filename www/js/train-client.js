// The page's side of the Train workers (train-worker.js): one worker per family, so the three families
// train at once on different cores, each with the training module (trilemma-train), which nothing else
// loads. Also the headless `train()` of the scripting API.
import { asset } from './build.js';
import { WorkerChannel } from './channel.js';
import { vocab } from './vocab.js';

/// The training module's files, named by their content in this build (www/seal.mjs).
function moduleFiles() {
  const at = (name) => new URL(asset(name), document.baseURI).href;
  return { glue: at('trilemma-train.js'), wasm: at('trilemma-train_bg.wasm') };
}

/// A worker with the training module loaded; `call(op, args)` as with the engine workers.
class TrainWorker extends WorkerChannel {
  static async start() {
    const files = moduleFiles();
    // The modules' folder is named by their content: the worker's address changes with every build.
    const w = new TrainWorker(new Worker(new URL('train-worker.js', import.meta.url), { type: 'module' }));
    try {
      w.vocabulary = await w.call('load', files);
    } catch (e) {
      w.terminate();
      throw e;
    }
    return w;
  }

  /// Sends `op`: every training call is answered within the engine's time to start a worker (the
  /// longest is loading the module, or a round of at most 100 steps on an emulated GPU).
  call(op, args) {
    return this.send(op, args, { ms: vocab ? vocab.limits.startMs : 120_000, what: `a training ${op} call` });
  }
}

/// The first worker, started when the Train view (or the API) first needs the module: it answers the
/// vocabulary, links and checks (and is started again if it died or could not start).
let firstStart = null;
export async function firstWorker() {
  const alive = firstStart && (await firstStart.catch(() => null));
  if (alive && !alive.dead) return alive;
  firstStart = TrainWorker.start();
  return firstStart;
}

/// Workers for `count` families: the first, and more started beside it (a dead one is replaced).
let workers = [];
export async function familyWorkers(count) {
  const first = await firstWorker();
  workers = workers.filter((w) => !w.dead);
  if (!workers.includes(first) && !first.dead) workers.unshift(first);
  while (workers.length < count) workers.push(await TrainWorker.start());
  return workers.slice(0, count);
}

/// `fields` with its families as a list (the set-up's `families` field is comma-separated link text).
export function familiesOf(fields) {
  return fields.families.split(',');
}

/// The API's `train(options)`: checks the options (a bad one rejects, naming it), trains each family
/// from scratch in its own worker, all at once, and resolves to the curves and the last measures.
export async function trainHeadless(options) {
  if (typeof options !== 'object' || options === null) throw new Error('train(options): options must be an object');
  const { backend = 'cpu', ...setup } = options;
  if (!['cpu', 'webgpu'].includes(backend)) throw new Error(`backend must be "cpu" or "webgpu", got ${JSON.stringify(String(backend)).slice(0, 40)}`);
  const fields = await (await firstWorker()).call('checkSetup', { fields: setup });
  const families = familiesOf(fields);
  // Workers of its own: the Train view's training (if any) goes on beside it, untouched.
  const pool = await Promise.all(families.map(() => TrainWorker.start()));
  try {
    return await trainIn(pool, families, fields, backend);
  } finally {
    for (const w of pool) w.terminate();
  }
}

async function trainIn(pool, families, fields, backend) {
  await Promise.all(families.map((family, i) => pool[i].call('start', { backend, family, fields })));
  const started = performance.now();
  const out = await Promise.all(
    families.map(async (family, i) => {
      const loss = [];
      let progress;
      do {
        progress = await pool[i].call('advance', { steps: 100, from: loss.length });
        loss.push(...progress.loss);
      } while (!progress.done);
      const last = progress.measures[progress.measures.length - 1];
      return [family, { loss, modes: last.modes, highQuality: last.highQuality, distance: last.distance }];
    }),
  );
  const steps = Number(fields.steps);
  return { steps, stepsPerSecond: steps / ((performance.now() - started) / 1000), backend, families: Object.fromEntries(out) };
}
