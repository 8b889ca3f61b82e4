// GasQ's one small script: the browser's position for "stations near me" and for
// "running late", and the service worker that keeps booking pages for use offline.
"use strict";
(function () {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-locate]");
    if (!b || !navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      location.search = "?lat=" + p.coords.latitude.toFixed(4) + "&lon=" + p.coords.longitude.toFixed(4);
    });
  });
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.hasAttribute("data-late") || f.dataset.located || !navigator.geolocation) return;
    e.preventDefault();
    var send = function () { f.dataset.located = "1"; f.submit(); };
    navigator.geolocation.getCurrentPosition(function (p) {
      f.lat.value = p.coords.latitude; f.lon.value = p.coords.longitude; send();
    }, send, { timeout: 8000 });
  });
})();
