// Timeliste's service worker: the app opens with no network after one visit.
//
// - One cache per build, named by the build's content hash: a new build is a new
//   worker with a new cache, and the old cache is deleted once the new worker
//   takes over (never while a tab still runs the old build).
// - The app's files are served cache-first. Nothing under /api/ is ever cached
//   or even looked at: the data lives in the app's store, not here.
// - A new worker waits until the app says "oppdater" (or every tab is closed),
//   so a running tab never mixes files of two builds.
"use strict";

const BUILD = "__BUILD_ID__";
const CACHE = "timeliste-" + BUILD;
const PRECACHE = ["__PRECACHE__"];

function appRequest(url) {
  return url.origin === self.location.origin &&
    !url.pathname.startsWith("/api/") && url.pathname !== "/healthz";
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE);
    // The first worker of this browser has no older build to protect.
    if (!self.registration.active) {
      await self.skipWaiting();
    }
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("timeliste-") && name !== CACHE) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "activate") {
    self.skipWaiting();
  } else if (message.type === "cache" && Array.isArray(message.urls)) {
    // Files the page loaded that depend on the browser (which CanvasKit build):
    // keep those too, so the next start needs no network.
    event.waitUntil((async () => {
      const cache = await caches.open(CACHE);
      for (const href of message.urls) {
        const url = new URL(href, self.location.origin);
        if (appRequest(url) && url.pathname.startsWith("/r/") && !(await cache.match(url.pathname))) {
          try {
            await cache.add(url.pathname);
          } catch (error) {
            // Offline or gone: the next visit asks again.
          }
        }
      }
    })());
  } else if (message.type === "build" && event.source) {
    event.source.postMessage({ type: "build", build: BUILD });
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (!appRequest(url)) {
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // Every page of the app (/, /kontor/…, /okt) is the same index.html.
    const key = request.mode === "navigate" ? "/" : url.pathname;
    const hit = await cache.match(key);
    if (hit) {
      return hit;
    }
    const response = await fetch(request);
    if (response.ok && url.pathname.startsWith("/r/")) {
      await cache.put(url.pathname, response.clone());
    }
    return response;
  })());
});
