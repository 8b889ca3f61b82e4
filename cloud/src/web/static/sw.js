// GasQ's service worker: a booking page once opened (its QR and code) is kept, and shown
// when there is no network; everything else goes to the network as usual.
"use strict";
var CACHE = "gasq-bookings-v1";
self.addEventListener("install", function (e) { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  var keep = /^\/bookings(\/[0-9a-f-]+)?$/.test(url.pathname) || url.pathname === "/static/app.js";
  if (!keep) return;
  e.respondWith(
    fetch(e.request).then(function (res) {
      if (res.ok && !res.redirected) {
        var copy = res.clone();
        caches.open(CACHE).then(function (c) { c.put(e.request, copy); });
      }
      return res;
    }).catch(function () {
      return caches.match(e.request).then(function (hit) {
        return hit || new Response("<!doctype html><meta charset=utf-8><title>Offline</title><p>No network. Open a booking you have opened before to show its QR.</p>",
          { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
      });
    })
  );
});
