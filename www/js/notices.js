// Notices: one plain sentence per source, the technical details folded away, dismissible.
import { Cancelled, errorText, latestOnly } from './async.js';
import { $, h } from './dom.js';

const notices = new Map(); // source -> {text, details}; all of them are shown together

/// Shows (or, with no text, clears) the notice of `source`: one plain sentence, the technical `details`
/// folded away beneath it; the visitor can dismiss it.
export function setNotice(source, text, details = '') {
  if (text) notices.set(source, { text, details });
  else notices.delete(source);
  showNotices();
}

function showNotices() {
  const el = $('#notice');
  // Text only (textContent): a notice never becomes HTML.
  el.replaceChildren(
    ...[...notices].map(([source, { text, details }]) =>
      h(
        'div',
        { className: 'notice-item' },
        h('span', { textContent: text }),
        details ? h('details', {}, h('summary', { textContent: 'details' }), h('pre', { textContent: details })) : '',
        h('button', { type: 'button', className: 'dismiss', textContent: '×', ariaLabel: 'dismiss this notice', onclick: () => setNotice(source, '') }),
      ),
    ),
  );
  el.hidden = notices.size === 0;
}

/// Runs fn: its error (a cancel excepted) becomes the notice of `source`, its success clears it.
export async function attempt(source, label, fn) {
  try {
    const result = await fn();
    setNotice(source, '');
    return result;
  } catch (e) {
    if (!(e instanceof Cancelled)) setNotice(source, `${label}: ${errorText(e)}`);
  }
}

/// A page job started by sliders and clicks: only the latest call runs, errors become notices.
export function job(source, label, fn) {
  return latestOnly((...args) => attempt(source, label, () => fn(...args)));
}
