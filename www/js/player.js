// A diffusion run on the page: progress, Cancel, and the step scrubber over x_t and the predicted x̂0.
import { Cancelled, errorText, latestOnly, makeToken } from './async.js';
import { addDownload, clearCanvas, drawGrid } from './canvas.js';
import { $, fromTemplate } from './dom.js';
import { setNotice } from './notices.js';
import { beginRun, freeRun, stepRun } from './runs.js';
import { fileName, syncLink } from './state.js';
import { adoptRunOptions } from './views.js';

/// A diffusion run on the page: progress, cancel, and the step scrubber over x_t and the predicted x̂0.
/// The last finished run stays scrubbable until the next one finishes; a cancelled run leaves it shown.
/// `onPreview(images)`, if given, sees each preview of the run in progress (x̂0, or the noise at its start).
export class Player {
  constructor(slot, prefix, { what, onResult, onPreview }) {
    slot.append(fromTemplate('player-template', prefix));
    this.slot = slot;
    slot.hidden = true; // until its first run
    const part = (id) => $(`#${prefix}${id}`);
    this.progress = part('progress');
    this.cancelButton = part('cancel');
    this.status = part('status');
    this.scrubber = part('scrubber');
    this.info = part('frame-info');
    this.xt = part('xt');
    this.x0 = part('x0');
    this.onResult = onResult;
    this.onPreview = onPreview;
    this.shown = null; // the last finished run
    this.active = null; // the run in progress
    this.token = null;
    this.follow = true; // the scrubber follows the newest step until moved back
    this.lastPreview = 0;
    addDownload(this.xt, () => fileName(`${what}-xt-step${this.scrubber.value}`, 'diffusion'));
    addDownload(this.x0, () => fileName(`${what}-x0-step${this.scrubber.value}`, 'diffusion'));
    this.cancelButton.addEventListener('click', () => this.token && this.token.cancel());
    this.scrubber.addEventListener('input', () => {
      this.follow = Number(this.scrubber.value) >= Number(this.scrubber.max);
      this.showFrame(Number(this.scrubber.value));
      syncLink();
    });
    this.drawFrame = latestOnly(async (live, i) => {
      if (live.engine.wasm.dead && live !== this.active) await this.rerecord(live);
      const frame = await live.engine.lock(() => (live.freed ? null : live.run.frame(i)));
      if (!frame || live !== this.source) return; // a stale answer: another run is shown now
      const images = (pixels) => ({ n: frame.n, width: frame.width, height: frame.height, pixels });
      drawGrid(this.xt, images(frame.xt), { fit: 300 });
      drawGrid(this.x0, images(frame.x0 || new Uint8Array(frame.n * frame.width * frame.height)), { fit: 300 });
      this.info.value = `${frame.index} of ${live.len} · t = ${frame.t}${frame.x0 ? '' : ' (pure noise: no x̂0 yet)'}`;
      if (live === this.active && this.onPreview) this.onPreview(images(frame.x0 || frame.xt));
    });
  }

  get source() {
    return this.active || this.shown;
  }

  /// A finished run whose engine died since: recorded once more on the new engine (same options and
  /// start, so the same frames), so the scrubber keeps working.
  async rerecord(live) {
    this.status.textContent = 'the engine restarted: recording the run again…';
    const again = await stepRun(live.opts, live.start, makeToken(), () => {});
    Object.assign(live, { engine: again.engine, run: again.run, freed: false });
    if (live === this.shown) this.status.textContent = `done: ${live.len} steps (recorded again)`;
  }

  /// Runs to the end; resolves to {n, width, height, pixels, frames} (frames = steps + 1).
  async start(opts, start) {
    const token = beginRun();
    this.token = token;
    this.follow = true;
    this.slot.hidden = false;
    this.cancelButton.disabled = false;
    this.status.textContent = 'starting…';
    try {
      const live = await stepRun(opts, start, token, (l) => token === this.token && this.stepped(l));
      if (token.cancelled) {
        freeRun(live);
        throw new Cancelled();
      }
      if (this.shown) freeRun(this.shown);
      this.shown = live;
      this.active = null;
      this.status.textContent = `done: ${live.len} steps in ${(live.ms / 1000).toFixed(1)} s`;
      this.setScrubber(live.len, live.len);
      this.onResult(live);
      const { n, width, height, pixels } = live.images;
      return { n, width, height, pixels, frames: live.len + 1 };
    } catch (e) {
      if (token === this.token) {
        this.active = null;
        this.status.textContent = e instanceof Cancelled ? 'cancelled' : 'failed';
        this.back();
      }
      throw e;
    } finally {
      if (token === this.token) this.cancelButton.disabled = true;
    }
  }

  stepped(live) {
    if (this.active !== live) adoptRunOptions(live.opts); // the run started: the controls show its options
    this.active = live;
    this.progress.max = live.len;
    this.progress.value = live.position;
    this.status.textContent = `step ${live.position} of ${live.len}`;
    this.scrubber.disabled = false;
    this.scrubber.max = live.position;
    if (this.follow) {
      this.scrubber.value = live.position;
      // At most 5 previews a second: each reads images back and would slow the run.
      const now = performance.now();
      if (now - this.lastPreview > 200) {
        this.lastPreview = now;
        this.showFrame(live.position);
      }
    }
  }

  /// Shows the last finished run again (after a cancel or a failure).
  back() {
    this.progress.value = 0;
    if (this.shown) return this.setScrubber(this.shown.len, this.shown.len);
    this.scrubber.disabled = true;
    this.scrubber.max = this.scrubber.value = 0;
    this.info.value = '';
    clearCanvas(this.xt);
    clearCanvas(this.x0);
  }

  setScrubber(max, value) {
    this.scrubber.disabled = false;
    this.scrubber.max = max;
    this.scrubber.value = value;
    this.follow = value >= max;
    this.showFrame(value);
  }

  scrubTo(i) {
    if (this.source) this.setScrubber(Number(this.scrubber.max), Math.max(0, Math.min(i, Number(this.scrubber.max))));
  }

  showFrame(i) {
    if (!this.source) return;
    this.drawFrame(this.source, i).catch((e) => setNotice('frame', `Couldn't show step ${i}: ${errorText(e)}`));
  }

  /// The scrubber's step for the share link: only for a finished run from noise with exactly `opts`,
  /// and null at the last step (the finished samples).
  frameFor(opts) {
    const s = this.shown;
    if (!s || this.active || (s.start && s.start.kind !== 'noise')) return null;
    if (['dataset', 'class', 'seed', 'n', 'sampler', 'steps', 'eta', 'guidance'].some((k) => String(s.opts[k]) !== String(opts[k]))) return null;
    const value = Number(this.scrubber.value);
    return value < s.len ? value : null;
  }
}
