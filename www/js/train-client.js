// The page's side of the Train workers (train-worker.js): one worker per family, so the three families
// train at once on different cores, each with the training module (trilemma-train), which nothing else
// loads.
import { asset } from './build.js';
import { WorkerChannel, startAll } from './channel.js';
import { vocab } from './vocab.js';

/// The training module's files, named by their content in this build (www/seal.mjs).
function moduleFiles() {
  const at = (name) => new URL(asset(name), document.baseURI).href;
  return { glue: at('trilemma-train.js'), wasm: at('trilemma-train_bg.wasm') };
}

/// A worker with the training module loaded; `call(op, args)` as with the engine workers.
export class TrainWorker extends WorkerChannel {
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
    return this.send(op, args, { ms: vocab.limits.startMs, what: `a training ${op} call` });
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

/// Workers for `count` families: the first, and more started beside it (a dead one is replaced). One
/// request at a time, so two quick resets never start a worker each for the same place.
let workers = [];
let growing = Promise.resolve();
export function familyWorkers(count) {
  growing = growing.catch(() => {}).then(async () => {
    const first = await firstWorker();
    workers = workers.filter((w) => !w.dead);
    if (!workers.includes(first) && !first.dead) workers.unshift(first);
    if (workers.length < count) workers.push(...(await startAll(count - workers.length, () => TrainWorker.start())));
    return workers.slice(0, count);
  });
  return growing;
}

/// `fields` with its families as a list (the set-up's `families` field is comma-separated link text).
export function familiesOf(fields) {
  return fields.families.split(',');
}
