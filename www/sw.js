// trilemma's service worker: one cache per build, so a page is only ever served files of one build. Every
// file but the page itself is named by its content (www/seal.mjs), and this worker knows each file's
// SHA-256: it keeps only bytes that match (a damaged or cut download is never kept, and is fetched again
// on the next use; the page refuses it with a message). Installing, it fetches the page, its code and its modules; weights and data are kept
// as they are first used. Activating, it keeps what the new build shares with the old ones, drops the
// rest and tells the open pages, which offer a reload. Online, the page itself comes from the network.
'use strict';

// This build's id and every file's SHA-256, written by www/seal.mjs (null in the unbuilt source: then
// this worker keeps nothing).
const BUILD = null;

const ROOT = new URL('./', self.location); // the page's folder: this file sits beside index.html
// Caches are per origin: the folder in the name keeps apart copies of the page at other paths.
const PREFIX = `trilemma ${ROOT.pathname} `;
const CACHE = BUILD && PREFIX + BUILD.build;

/// A URL's path inside the page's folder ('models/…', '' for the page), or null outside it.
function pathOf(url) {
  const u = new URL(url);
  return u.origin === ROOT.origin && u.pathname.startsWith(ROOT.pathname) ? u.pathname.slice(ROOT.pathname.length) : null;
}

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/// Whether `bytes` are this build's file `path` (the page: whether it names this build).
async function genuine(path, bytes) {
  if (path === '' || path === 'index.html') return new TextDecoder().decode(bytes).includes(`"build":"${BUILD.build}"`);
  return BUILD.files[path] === (await sha256(bytes));
}

function belongs(path) {
  return path === '' || path === 'index.html' || Object.hasOwn(BUILD.files, path);
}

/// Fetches `url` past any HTTP cache and keeps it when its bytes are this build's; false when not.
async function keep(cache, url) {
  const response = await fetch(url, { cache: 'no-cache' });
  if (response.status !== 200) return false;
  const bytes = await response.arrayBuffer();
  if (!(await genuine(pathOf(url), bytes))) return false;
  await cache.put(url, new Response(bytes, { headers: response.headers }));
  return true;
}

self.addEventListener('install', (event) => {
  if (!BUILD) return event.waitUntil(self.skipWaiting());
  // The shell, not the data files nor the Train view's module: those are kept on first use (a visit that
  // never trains never downloads the training module).
  const onUse = (path) => path.startsWith('models/') || path.startsWith('trilemma-train');
  const shell = ['', ...Object.keys(BUILD.files).filter((path) => !onUse(path))];
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const path of shell) {
        const url = new URL(path, ROOT).href;
        // A build half replaced on the server, or a damaged file: this worker is not installed (the
        // browser tries again on a later visit).
        if (!(await cache.match(url)) && !(await keep(cache, url))) throw new Error(`${path || 'the page'} is not this build's`);
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const cache = CACHE && (await caches.open(CACHE));
      for (const name of await caches.keys()) {
        // 'trilemma' was the single cache of the worker before builds had their own.
        if (name === CACHE || !(name.startsWith(PREFIX) || name === 'trilemma')) continue;
        if (cache) {
          const old = await caches.open(name);
          for (const request of await old.keys()) {
            const path = pathOf(request.url);
            if (path === null || !Object.hasOwn(BUILD.files, path) || (await cache.match(request))) continue;
            const response = await old.match(request);
            const bytes = await response.arrayBuffer();
            if (await genuine(path, bytes)) await cache.put(request, new Response(bytes, { headers: response.headers }));
          }
        }
        await caches.delete(name);
      }
      await self.clients.claim();
      // Pages of another build offer a reload.
      for (const client of await self.clients.matchAll()) client.postMessage({ build: BUILD && BUILD.build });
    })(),
  );
});

/// Keeps a copy of `response` under `key` once whole if it is this build's file `path`. Bytes that are not
/// (damaged, cut, or another build's page loaded under this worker) still reach the page, which checks
/// what it loads; they are just never kept.
async function keepIfGenuine(response, path, key) {
  const bytes = await response.arrayBuffer();
  if (await genuine(path, bytes)) await (await caches.open(CACHE)).put(key, new Response(bytes, { headers: response.headers }));
}

async function answer(event, path) {
  const { request } = event;
  const cache = await caches.open(CACHE);
  const fetched = async (key) => {
    const response = await fetch(request, { cache: 'no-cache' });
    // Another build's files (an old page still open) pass through unkept.
    if (response.status === 200 && response.type === 'basic' && belongs(path)) event.waitUntil(keepIfGenuine(response.clone(), path, key).catch(() => {}));
    return response;
  };
  if (request.mode === 'navigate') {
    // The page from the network while online (a new build's page names its own files), kept once
    // whatever the link's query; offline, this link's copy if there is one, else the build's page.
    try {
      return await fetched(path === '' || path === 'index.html' ? ROOT.href : request);
    } catch (err) {
      const cached = (await cache.match(request)) || (await cache.match(ROOT.href));
      if (cached) return cached;
      throw err;
    }
  }
  return (await cache.match(request)) || fetched(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const path = pathOf(request.url);
  if (!BUILD || request.method !== 'GET' || path === null || path === 'sw.js') return;
  event.respondWith(answer(event, path));
});

// The page lists what it loaded before this worker controlled it: keep what this build lacks. Or it finds
// this worker waiting and asks it to take over (Chrome may leave a worker that skipped waiting while
// installing waiting behind the old one's open tabs).
self.addEventListener('message', (event) => {
  if (event.data === 'take over') return event.waitUntil(self.skipWaiting());
  const urls = (event.data && event.data.cache) || [];
  if (!BUILD) return;
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const url of urls) {
        const path = pathOf(url);
        if (path === null || !Object.hasOwn(BUILD.files, path) || (await cache.match(url))) continue;
        try {
          await keep(cache, url);
        } catch {
          // offline or gone: nothing to keep
        }
      }
    })(),
  );
});
