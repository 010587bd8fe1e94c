// Browser tests of the first minute: a visit lands on the three families racing, side by side.
import { join } from 'node:path';
import { test, assert, settle, canvasFacts, shots } from './harness.mjs';

const FAMILIES = ['gan', 'vae', 'diffusion'];

/// Each lane's model time, rate line and canvas.
async function lanes(page) {
  const out = {};
  for (const family of FAMILIES) {
    const [time, rate] = await page.evaluate((f) => [document.querySelector(`#compare-${f}-time`).textContent, document.querySelector(`#compare-${f}-rate`).textContent], family);
    out[family] = { time, rate, canvas: await canvasFacts(page, `#compare-${family}`) };
  }
  return out;
}

export async function landingTests(cpu) {
  await test('a visit lands on the race: three grids side by side with their times, diffusion previews first', async () => {
    const p = await cpu.visit('');
    // Diffusion shows its run in progress (a preview on its canvas before its time is in).
    await p.waitForFunction(() => document.querySelector('#compare-diffusion').width > 0 && !document.querySelector('#compare-diffusion-rate').textContent, null, { timeout: 300_000 });
    await settle(p);
    const state = await p.evaluate(() => window.trilemma.state());
    assert(state.view === 'compare' && state.class !== 'none', `landing state ${JSON.stringify(state)}`);
    const first = await lanes(p);
    for (const [family, lane] of Object.entries(first)) {
      assert(/^\d+\.\d\d s$/.test(lane.time) && /ms per sample · 16 on CPU/.test(lane.rate), `${family}: "${lane.time}" "${lane.rate}"`);
      assert(lane.canvas.lit > 200, `${family}: ${lane.canvas.lit} bright pixels`);
    }
    // Side by side: the three canvases share a row, within the first screen.
    const boxes = await p.evaluate((fs) => fs.map((f) => document.querySelector(`#compare-${f}`).getBoundingClientRect().toJSON()), FAMILIES);
    assert(boxes.every((b) => Math.abs(b.top - boxes[0].top) < 2 && b.bottom < 900), JSON.stringify(boxes));
    await p.screenshot({ path: join(shots, 'landing-1280.png') });

    // One click: unconditional, every lane again; one more: back to the class.
    await p.click('#race-class');
    await settle(p);
    const free = await lanes(p);
    assert((await p.evaluate(() => window.trilemma.state().class)) === 'none', 'the race is not unconditional');
    for (const family of FAMILIES) assert(free[family].canvas.hash !== first[family].canvas.hash, `${family} did not run again`);
    assert(/back to class/.test(await p.textContent('#race-class')), await p.textContent('#race-class'));
    await p.click('#race-class');
    await settle(p);
    assert((await p.evaluate(() => window.trilemma.state().class)) === state.class, 'not back to the landing class');
    assert((await canvasFacts(p, '#compare-gan')).hash === first.gan.canvas.hash, 'the same class and seed drew other GAN samples');

    // A phone: the race comes before the controls, three small grids in one row on the first screen.
    await p.setViewportSize({ width: 390, height: 844 });
    await p.click('#race-seed');
    await settle(p);
    await p.evaluate(() => window.scrollTo(0, 0));
    const phone = await p.evaluate((fs) => fs.map((f) => document.querySelector(`#compare-${f}`).getBoundingClientRect().toJSON()), FAMILIES);
    assert(phone.every((b) => Math.abs(b.top - phone[0].top) < 2 && b.bottom < 844 && b.right <= 390), JSON.stringify(phone));
    await p.screenshot({ path: join(shots, 'landing-390.png') });
    await p.close();
  });

  await test('in the race a GAN knob reruns only the GAN lane, and a new race cancels the diffusion run before it', async () => {
    const p = await cpu.visit('?view=compare&n=4&seed=5');
    await settle(p);
    const before = await lanes(p);
    await p.evaluate(() => {
      const s = document.querySelector('input[name=truncation]');
      s.value = '0.3';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await settle(p);
    const after = await lanes(p);
    assert(after.gan.canvas.hash !== before.gan.canvas.hash, 'the GAN lane did not follow ψ');
    assert(after.vae.canvas.hash === before.vae.canvas.hash && after.diffusion.canvas.hash === before.diffusion.canvas.hash, 'other lanes ran');
    // Two seeds in a row: the first race's diffusion lane is cancelled, the second one finishes.
    await p.evaluate(() => {
      const seed = document.querySelector('input[name=seed]');
      for (const v of ['6', '7']) {
        seed.value = v;
        seed.dispatchEvent(new Event('change', { bubbles: true }));
      }
    });
    await settle(p);
    const last = await lanes(p);
    assert(/ms per sample/.test(last.diffusion.rate) && last.diffusion.canvas.hash !== after.diffusion.canvas.hash, `diffusion: ${last.diffusion.time} ${last.diffusion.rate}`);
    assert((await p.evaluate(() => window.trilemma.state().seed)) === 7, 'seed');
    await p.close();
  });

  await test("the page's classifier reads samples as trilemma eval does, and unconditional races fill a class histogram", async () => {
    const p = await cpu.visit('?view=compare&n=8&seed=1&class=7');
    await settle(p);
    // Native features of the shipped test images (`trilemma picks`) against the page's, both datasets.
    for (const dataset of ['mnist', 'fashion']) {
      const worst = await p.evaluate(async (d) => {
        const { vocab } = await import(new URL('vocab.js', document.querySelector('script[src$="/main.js"]').src));
        const names = vocab.datasets.find((x) => x.name === d);
        const { assets } = JSON.parse(document.getElementById('build').textContent);
        const picks = new Uint8Array(await (await fetch(assets[`models/${names.picks}`])).arrayBuffer());
        const native = new Float32Array(await (await fetch(assets[`models/${names.picksFeatures}`])).arrayBuffer());
        let worst = 0;
        for (let at = 0; at < picks.length / 784; at += 50) {
          const r = await window.trilemma.score({ dataset: d, pixels: picks.subarray(at * 784, (at + 50) * 784) });
          r.features.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - native[at * r.dim + i]))));
          if (r.classes.length !== 50 || r.confidences.some((c) => c < 0.1 || c > 1)) return `bad reading ${JSON.stringify(r.classes)}`;
        }
        return worst;
      }, dataset);
      assert(typeof worst === 'number' && worst < 1e-4, `${dataset}: page vs native features differ by ${worst}`);
    }
    const bad = await p.evaluate(() => window.trilemma.score({ pixels: [1, 2, 3] }).then(() => 'accepted', (e) => e.message));
    assert(/784/.test(bad), bad);
    // A class asked for: each lane says how many of its samples read as that class.
    for (const family of FAMILIES) {
      const line = await p.textContent(`#compare-${family}-reading`);
      assert(/reads \d of 8 as class 7/.test(line), `${family}: ${line}`);
    }
    // Unconditional: the histogram counts every new seed's samples once.
    await p.click('#race-class');
    await settle(p);
    const first = await p.textContent('#compare-gan-reading');
    assert(/your 8 unconditional samples/.test(first), first);
    await p.click('#race-seed');
    await settle(p);
    for (const family of FAMILIES) {
      const line = await p.textContent(`#compare-${family}-reading`);
      assert(/your 16 unconditional samples: \d+ of 10 classes/.test(line), `${family}: ${line}`);
      assert((await canvasFacts(p, `#compare-${family}-classes`)).size !== '0×0', `${family}: no histogram`);
    }
    // Where they land: every family's precision and recall beside the scoreboard's points.
    const yours = await p.textContent('#yours-status');
    for (const family of FAMILIES) assert(new RegExp(`your ${family} \\(16\\): precision [01]\\.\\d\\d, recall [01]\\.\\d\\d`).test(yours), yours);
    assert((await p.locator('#yours-chart circle.yours').count()) === 3 && (await p.locator('#yours-chart circle.board').count()) >= 10, 'chart points');
    await p.screenshot({ path: join(shots, 'race-unconditional.png'), fullPage: true });
    await p.close();
  });

  await test('a clicked sample shows its nearest training images; a training image is its own nearest, a copy', async () => {
    const p = await cpu.visit('?view=compare&n=4&seed=2&class=1');
    await settle(p);
    // Known answer: training image 17 of the atlas finds itself at distance 0, nearer than any real test image.
    const self = await p.evaluate(async () => {
      const { vocab } = await import(new URL('vocab.js', document.querySelector('script[src$="/main.js"]').src));
      const { assets } = JSON.parse(document.getElementById('build').textContent);
      const atlas = new Uint8Array(await (await fetch(assets[`models/${vocab.datasets[0].atlas}`])).arrayBuffer());
      const [r] = await window.trilemma.neighbours({ dataset: vocab.datasets[0].name, pixels: atlas.subarray(17 * 784, 18 * 784), k: 3 });
      return { first: r.neighbours[0].index, d: r.neighbours[0].distance, next: r.neighbours[1].distance, nearerThan: r.nearerThan, n: r.neighbours.length };
    });
    assert(self.first === 17 && self.d < 1e-3 && self.next > self.d && self.nearerThan === 0 && self.n === 3, JSON.stringify(self));
    const bad = await p.evaluate(() => window.trilemma.neighbours({ pixels: new Uint8Array(784), k: 99 }).then(() => 'accepted', (e) => e.message));
    assert(/k must be/.test(bad), bad);
    // A click on a GAN sample: the panel opens right under the race, with three neighbours and a verdict.
    const box = await p.locator('#compare-gan').boundingBox();
    await p.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
    await p.waitForFunction(() => /real test images/.test(document.querySelector('#near-verdict').textContent), null, { timeout: 120_000 });
    await settle(p);
    // Both measured now: the panel scrolls into view when drawn, which moves the lane too.
    const [lane, near] = await p.evaluate(() => ['#compare-gan', '#near'].map((id) => {
      const r = document.querySelector(id).getBoundingClientRect();
      return { y: r.y, height: r.height };
    }));
    assert(near.y >= lane.y + lane.height && near.y - (lane.y + lane.height) < 400, `the panel opens ${near.y - lane.y - lane.height} px under the lane`);
    assert((await canvasFacts(p, '#near-found')).lit > 50, 'no neighbours drawn');
    assert(/gan sample 1: its 3 nearest/.test(await p.textContent('#near-title')), await p.textContent('#near-title'));
    await p.close();
  });

  await test("keyboard: the tabs move with the arrow keys; a lane's samples are reached, read out and picked without a mouse", async () => {
    const p = await cpu.visit('?view=compare&n=4&seed=4&class=2');
    await settle(p);
    await p.focus('#tab-compare');
    await p.keyboard.press('ArrowRight');
    assert((await p.evaluate(() => [window.trilemma.state().view, document.activeElement.id].join())) === 'play,tab-play', 'ArrowRight did not open Play');
    await p.keyboard.press('ArrowLeft');
    await settle(p);
    assert((await p.evaluate(() => window.trilemma.state().view)) === 'compare', 'ArrowLeft did not go back');
    await p.focus('#compare-vae');
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowDown');
    const said = await p.textContent('#cell-live');
    assert(/VAE samples: 4 of 4, \d \d+%/.test(said), `live region: ${said}`);
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => /real test images/.test(document.querySelector('#near-verdict').textContent), null, { timeout: 120_000 });
    assert(/vae sample 4/.test(await p.textContent('#near-title')), await p.textContent('#near-title'));
    await p.close();
  });

  await test('Play: the grid is read by the classifier; a walk and the VAE editor open in view of the clicks', async () => {
    const p = await cpu.visit('?view=play&family=gan&n=16&seed=3&class=4');
    await settle(p);
    assert(/reads \d+ of 16 as class 4/.test(await p.textContent('#grid-reading')), await p.textContent('#grid-reading'));
    const inView = (sel) => p.evaluate((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return r.width > 0 && r.top >= -1 && r.bottom <= innerHeight + 1;
    }, sel);
    const grid = await p.locator('#grid').boundingBox();
    await p.mouse.click(grid.x + 20, grid.y + 20);
    await p.mouse.click(grid.x + grid.width - 20, grid.y + 20);
    await settle(p);
    await p.waitForTimeout(800); // the smooth scroll
    assert(await inView('#gan-interp'), 'the GAN walk is drawn out of view');
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.selectOption('select[name=family]', 'vae');
    await settle(p);
    assert(/reads \d+ of 16 as class 4/.test(await p.textContent('#grid-reading')), 'no reading of the VAE grid');
    const vaeGrid = await p.locator('#grid').boundingBox();
    await p.mouse.click(vaeGrid.x + 20, vaeGrid.y + 20);
    await settle(p);
    await p.waitForTimeout(800);
    assert(await inView('#vae-edit'), 'the VAE editor is drawn out of view');
    await p.close();
  });
}
