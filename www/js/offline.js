// The offline copy: a service worker keeps what the page loaded.
import { errorText } from './async.js';

/// Asks the service worker to keep a copy of everything loaded so far (what this first visit fetched
/// before the worker controlled the page would otherwise be missing offline).
export function offlineCopy() {
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!worker) return;
  const urls = [location.href, ...performance.getEntriesByType('resource').map((r) => r.name)];
  worker.postMessage({ cache: urls.filter((u) => new URL(u).origin === location.origin) });
}

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !/^https?:$/.test(location.protocol)) return;
  const register = () =>
    navigator.serviceWorker.register('sw.js').then(
      () => (navigator.serviceWorker.controller ? offlineCopy() : navigator.serviceWorker.addEventListener('controllerchange', offlineCopy, { once: true })),
      (e) => console.warn(`trilemma: no offline copy (the service worker did not register: ${errorText(e)})`),
    );
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}
