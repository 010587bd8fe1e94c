// The offline copy and new versions: a service worker (sw.js) keeps this build's files; when a new build
// takes over, the page offers a reload.
import { errorText } from './async.js';
import { manifest } from './build.js';
import { $ } from './dom.js';

let newer = null; // the id of the build whose service worker took over from this page's

/// Whether a newer build has replaced this page's on the server (its files may be gone there).
export function outdated() {
  return newer !== null;
}

/// Asks the service worker to keep a copy of everything loaded so far (what this first visit fetched
/// before the worker controlled the page would otherwise be missing offline).
export function offlineCopy() {
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!worker) return;
  const urls = [location.href, ...performance.getEntriesByType('resource').map((r) => r.name)];
  worker.postMessage({ cache: urls.filter((u) => new URL(u).origin === location.origin) });
}

function offerReload(build) {
  newer = build;
  $('#update').hidden = false;
}

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !/^https?:$/.test(location.protocol)) return;
  const sw = navigator.serviceWorker;
  // A new build's worker announces itself when it takes over.
  sw.addEventListener('message', ({ data }) => data && data.build && data.build !== manifest.build && offerReload(data.build));
  sw.addEventListener('controllerchange', offlineCopy);
  $('#update-reload').addEventListener('click', () => location.reload());
  const register = () =>
    sw.register('sw.js').then(
      (registration) => {
        if (sw.controller) offlineCopy();
        // A new build's worker, installed, takes over at once (sw.js).
        const takeOver = () => registration.waiting && registration.waiting.postMessage('take over');
        const watch = (worker) => worker && worker.addEventListener('statechange', takeOver);
        watch(registration.installing);
        registration.addEventListener('updatefound', () => watch(registration.installing));
        takeOver();
        // A tab left open looks for a new build whenever it is shown again.
        document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && registration.update().catch(() => {}));
      },
      (e) => console.warn(`trilemma: no offline copy (the service worker did not register: ${errorText(e)})`),
    );
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}
