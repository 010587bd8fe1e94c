// DOM helpers: element lookup and creation, templates, range sliders, the clipboard.

export const $ = (selector, root = document) => root.querySelector(selector);

/// A new element with properties (textContent, never innerHTML) and children.
export function h(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

/// Brings `el` into view if it is not (a result drawn far from the click that asked for it); moves the page
/// no more than needed.
export function reveal(el) {
  const r = el.getBoundingClientRect();
  if (r.top < 0 || r.bottom > innerHeight) el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

/// A copy of a <template>'s content where every `data-id="x"` becomes `id="<prefix>x"`.
export function fromTemplate(id, prefix) {
  const frag = document.getElementById(id).content.cloneNode(true);
  for (const el of frag.querySelectorAll('[data-id]')) el.id = prefix + el.dataset.id;
  return frag;
}

/// Shows a range input's value in its <output> (the next sibling) and calls onInput at every move.
export function bindRange(input, { format = String, onInput } = {}) {
  const show = () => (input.nextElementSibling.value = format(Number(input.value)));
  input.addEventListener('input', () => {
    show();
    if (onInput) onInput(Number(input.value));
  });
  input.showValue = show;
  show();
}

/// Sets a range input to `value` exactly: a value outside the slider or off its step (from a link or a
/// latent code) widens the slider instead of being rounded.
export function setRange(input, value) {
  if (value > Number(input.max)) input.max = String(value);
  if (value < Number(input.min)) input.min = String(value);
  const step = Number(input.step);
  if (step && Math.abs(value / step - Math.round(value / step)) > 1e-6) input.step = 'any';
  input.value = String(value);
  if (input.showValue) input.showValue();
}

/// Copies `text` (a link) to the clipboard; resolves to whether it got there. `input` holds it, and where
/// there is no clipboard access (e.g. plain http) it is shown selected, ready for the visitor to copy.
export async function copyText(text, input) {
  input.value = text;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    input.hidden = false;
    input.select();
    try {
      return document.execCommand('copy');
    } catch (err) {
      return false; // the selected text stays for the visitor to copy
    }
  }
}
