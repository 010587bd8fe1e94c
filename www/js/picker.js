// The test-image picker.
import { errorText } from './async.js';
import { cellAt, drawGrid } from './canvas.js';
import { $, fromTemplate } from './dom.js';

/// A strip of 10 real test images to choose from (the 10 of a class, or one per class), by click or by
/// number. `load(dataset, cls)` must resolve to the dataset's 100 images (784 bytes each, class i/10);
/// `classNames(dataset)` names its classes.
export class Picker {
  constructor(slot, prefix, { load, classNames, onPick }) {
    slot.append(fromTemplate('picker-template', prefix));
    this.strip = $(`#${prefix}strip`);
    this.number = $(`#${prefix}index`);
    this.status = $(`#${prefix}status`);
    this.load = load;
    this.classNames = classNames;
    this.onPick = onPick;
    this.images = null;
    this.indices = [];
    this.selected = 0;
    this.request = 0;
    this.strip.addEventListener('click', (e) => {
      const i = cellAt(this.strip, e);
      if (i >= 0) this.select(i, true);
    });
    this.number.addEventListener('change', () => {
      const i = this.number.valueAsNumber - 1;
      if (this.images && Number.isInteger(i) && i >= 0 && i < this.indices.length) this.select(i, true);
    });
  }

  /// Shows the test images of `dataset` for `cls` (a class number or 'none').
  async show(dataset, cls) {
    const request = ++this.request;
    let images;
    try {
      images = await this.load(dataset);
    } catch (e) {
      if (request === this.request) this.status.textContent = errorText(e);
      return;
    }
    if (request !== this.request) return;
    this.images = images;
    this.dataset = dataset;
    this.indices = Array.from({ length: 10 }, (_, i) => (cls === 'none' ? 10 * i : 10 * cls + i));
    this.select(Math.min(this.selected, this.indices.length - 1), false);
  }

  /// Chooses strip image i; onPick(picker, byUser) hears of it.
  select(i, byUser) {
    this.selected = i;
    this.number.value = String(i + 1);
    const pixels = new Uint8Array(10 * 784);
    this.indices.forEach((k, j) => pixels.set(this.images.subarray(784 * k, 784 * (k + 1)), 784 * j));
    drawGrid(this.strip, { n: 10, width: 28, height: 28, pixels }, { cols: 10, zoom: 2, marks: new Map([[i, { color: '#ffb000', text: '' }]]) });
    this.status.textContent = this.describe();
    this.onPick(this, byUser);
  }

  /// The chosen image's 784 bytes, or null before the images are loaded.
  image() {
    if (!this.images) return null;
    const k = this.indices[this.selected];
    return this.images.slice(784 * k, 784 * (k + 1));
  }

  describe() {
    const k = this.indices[this.selected];
    return `test image ${k} (class ${Math.floor(k / 10)}: ${this.classNames(this.dataset)[Math.floor(k / 10)]})`;
  }
}
