// Browser tests of what goes wrong: a lost GPU device, a worker that stops answering, weight files that are
// damaged, cut short, another model's or missing, and a link written to fake a notice. Each runs in a
// browser of its own, so the errors it provokes stay out of the other tests' console checks.
import { test, assert, settle, launch, assets } from './harness.mjs';

/// The page's engine, as its own module sees it.
function pageEngine(page) {
  return page.evaluate(async () => {
    const { engine } = await import(new URL('engine.js', document.querySelector('script[src$="/main.js"]').src));
    return { backend: engine.backend, dead: Boolean(engine.wasm.dead) };
  });
}

/// Calls window.trilemma.generate: `{n, backend}`, or `{error}` with its message.
function tryGenerate(page, opts) {
  return page.evaluate((o) => window.trilemma.generate(o).then((r) => ({ n: r.n, backend: r.backend }), (e) => ({ error: String(e.message) })), opts);
}

/// Destroys the GPU device of the page's WebGPU worker (GPUDevice.destroy(), as a GPU reset would lose it).
async function destroyDevice(page) {
  for (const worker of page.workers()) {
    if (await worker.evaluate(() => Boolean(self.gpuDevice)).catch(() => false)) {
      await worker.evaluate(() => self.gpuDevice.destroy());
      return;
    }
  }
  throw new Error('no worker holds a GPU device');
}

/// The notice's items, each one line of text.
function noticeLines(page) {
  return page.$$eval('#notice .notice-item > span', (spans) => spans.flatMap((s) => s.textContent.split('\n')));
}

async function gpuTests() {
  const gpu = await launch(true);
  const p = await gpu.visit('?view=play&family=gan&n=2&seed=1');
  await settle(p);
  const webgpu = () => p.evaluate(() => window.trilemma.setBackend('webgpu'));

  await test('WebGPU: a bad option is refused as such and changes no backend, whatever its words say', async () => {
    assert((await webgpu()).backend === 'webgpu', 'WebGPU did not start');
    for (const opts of [{ class: 'lost' }, { family: 'gan', class: 'GPU device lost' }, { family: 'device lost' }]) {
      const out = await tryGenerate(p, opts);
      assert(out.error && /class|family/.test(out.error), JSON.stringify(out));
    }
    const e = await pageEngine(p);
    assert(e.backend === 'webgpu' && !e.dead, JSON.stringify(e));
    assert(!(await p.locator('#notice').isVisible()), `a notice: ${await p.locator('#notice').textContent()}`);
    const out = await tryGenerate(p, { family: 'gan', n: 2 });
    assert(out.n === 2 && out.backend === 'webgpu', JSON.stringify(out));
  });

  await test('WebGPU: a lost device moves the page to the CPU at once, with a plain notice; the next request runs', async () => {
    await destroyDevice(p);
    await p.waitForFunction(() => /GPU stopped working/.test(document.querySelector('#notice').textContent), null, { timeout: 30_000 });
    await settle(p);
    const e = await pageEngine(p);
    assert(e.backend === 'cpu' && !e.dead, JSON.stringify(e));
    const [sentence] = await noticeLines(p);
    assert(/^The GPU stopped working \(its device was lost\), so the models now run on the CPU\.$/.test(sentence), sentence);
    assert((await p.locator('#notice pre').textContent()).includes('destroyed'), 'the browser\'s reason is under details');
    const out = await tryGenerate(p, { family: 'gan', n: 2 });
    assert(out.n === 2 && out.backend === 'cpu', JSON.stringify(out));
  });

  await test('WebGPU: a request in flight when the device is lost runs again on the CPU', async () => {
    assert((await webgpu()).backend === 'webgpu', 'WebGPU did not start again');
    await tryGenerate(p, { family: 'vae', n: 2 }); // the device in use
    const pending = tryGenerate(p, { family: 'diffusion', n: 2, class: 1, sampler: 'ddim', steps: 3 });
    await destroyDevice(p);
    const out = await pending;
    assert(out.n === 2 && out.backend === 'cpu', JSON.stringify(out));
    assert((await pageEngine(p)).backend === 'cpu', 'the page stayed on the lost GPU');
    assert(/GPU stopped working/.test(await p.locator('#notice').textContent()), 'no notice of the lost device');
  });
  await gpu.context.close();
}

async function cpuTests() {
  // No service worker: the routes below answer every request.
  const cpu = await launch(false, { serviceWorkers: 'block' });

  await test('a worker that stops answering is given up within its time limit and replaced; the next call runs', async () => {
    const p = await cpu.visit('?view=play&family=gan&n=4');
    await settle(p);
    const limits = await p.evaluate(async () => (await import(new URL('vocab.js', document.querySelector('script[src$="/main.js"]').src))).vocab.limits);
    // One worker of the pool spins forever on its next message, as a call that never returns would.
    const [worker] = p.workers();
    await worker.evaluate(() => {
      self.onmessage = () => {
        for (;;);
      };
    });
    const t0 = Date.now();
    const out = await tryGenerate(p, { family: 'gan', n: 4, seed: 2 });
    const waited = Date.now() - t0;
    assert(/stopped answering \(no answer to a \w+ call( of \d+ model passes)? within [\d.]+ s\)/.test(out.error), JSON.stringify(out));
    assert(waited >= limits.answerMs && waited < limits.answerMs + 4 * limits.msPerPass + 5000, `rejected after ${waited} ms`);
    const [sentence] = await noticeLines(p);
    assert(/^The engine stopped answering and was replaced; the request it was working on was not run again\.$/.test(sentence), sentence);
    const again = await tryGenerate(p, { family: 'gan', n: 4, seed: 2 });
    assert(again.n === 4 && again.backend === 'cpu', JSON.stringify(again));
    await p.close();
  });

  await test('damaged, truncated, swapped and missing weight files: the message names the file, the other families still work', async () => {
    // What the server answers for the GAN's Fashion file (under this build's name for it).
    let damage = null;
    const [gan, vae] = [assets['models/gan-fashion.bpk'], assets['models/vae-fashion.bpk']];
    await cpu.context.route(`**/${gan}`, async (route) => {
      if (damage === 'missing') return route.fulfill({ status: 404, body: 'not found' });
      const url = route.request().url();
      const response = await route.fetch({ url: damage === 'swapped' ? url.replace(gan, vae) : url });
      let body = await response.body();
      if (damage === 'damaged') body[body.length - 100] ^= 1;
      if (damage === 'truncated') body = body.subarray(0, Math.floor(body.length / 2));
      await route.fulfill({ response, body });
    });
    const expected = {
      damaged: 'models/gan-fashion.bpk is damaged (checksum mismatch)',
      truncated: 'models/gan-fashion.bpk is damaged (checksum mismatch)',
      swapped: 'models/gan-fashion.bpk holds the vae-fashion model',
      missing: "can't fetch models/gan-fashion.bpk (HTTP 404)",
    };
    for (const [kind, message] of Object.entries(expected)) {
      damage = kind;
      const p = await cpu.visit('?view=play&family=vae&n=2'); // a new page fetches the file anew
      await settle(p);
      const gan = await tryGenerate(p, { family: 'gan', dataset: 'fashion', n: 2 });
      assert(gan.error && gan.error.includes(message), `${kind}: ${JSON.stringify(gan)}`);
      for (const opts of [{ family: 'vae' }, { family: 'diffusion', sampler: 'ddim', steps: 2, class: 4 }]) {
        const out = await tryGenerate(p, { ...opts, dataset: 'fashion', n: 2 });
        assert(out.n === 2, `${kind}: ${opts.family} after it: ${JSON.stringify(out)}`);
      }
      await p.close();
    }
  });

  await test('a link written to look like a message shows as a notice in the page\'s words, its value quoted and escaped', async () => {
    // The link, with a bidirectional override and a line break in a second field.
    const hostile = '?view=play&n=2&family=%0A%0AThe%20GPU%20device%20was%20lost.%20Visit%20evil.example%20to%20restore%20it.&seed=%E2%80%AE1%0A2';
    const p = await cpu.visit(hostile);
    await settle(p);
    const lines = (await noticeLines(p)).filter((line) => !line.startsWith('WebGPU is not available')); // the backend's
    assert(lines.length === 2, `${lines.length} lines: ${JSON.stringify(lines)}`);
    const [family, seed] = lines;
    assert(family === 'Share link: unknown family "\\n\\nThe GPU device was lost. Visit"… (expected `gan`, `vae`, `diffusion`)', family);
    assert(seed.startsWith('Share link: seed must be') && seed.includes('"\\u{202e}1\\n2"'), seed);
    for (const line of lines) assert(line.length <= 140 && !/[\u0000-\u001f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(line), JSON.stringify(line));
    const e = await pageEngine(p);
    const state = await p.evaluate(() => window.trilemma.state());
    assert(e.backend === 'cpu' && state.family === 'diffusion' && state.seed === 0 && state.n === 2, `${JSON.stringify(e)} ${JSON.stringify(state)}`);
    await p.close();
  });
  await cpu.context.close();
}

export async function failureTests() {
  await gpuTests();
  await cpuTests();
}
