// trilemma's service worker: network first, the cache only when the network fails, for every same-origin
// GET. So the page works offline once loaded, and never serves stale code while online.
'use strict';

const CACHE = 'trilemma';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function sameOrigin(url) {
  return new URL(url).origin === self.location.origin;
}

/// Keeps a complete answer (not a partial or an error one).
async function store(request, response) {
  if (response.status !== 200 || response.type !== 'basic') return;
  const cache = await caches.open(CACHE);
  await cache.put(request, response);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !sameOrigin(request.url)) return;
  event.respondWith(
    (async () => {
      try {
        const response = await fetch(request);
        event.waitUntil(store(request, response.clone()).catch(() => {}));
        return response;
      } catch (err) {
        // Offline: any cached copy of the page does, whatever its link's query.
        const cached = await caches.match(request, { ignoreSearch: request.mode === 'navigate' });
        if (cached) return cached;
        throw err;
      }
    })(),
  );
});

// The page lists what it loaded before this worker controlled it: copy what the cache lacks.
self.addEventListener('message', (event) => {
  const urls = (event.data && event.data.cache) || [];
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const url of urls) {
        if (!sameOrigin(url) || (await cache.match(url))) continue;
        try {
          await store(new Request(url), await fetch(url));
        } catch (e) {
          // offline or gone: nothing to keep
        }
      }
    })(),
  );
});
