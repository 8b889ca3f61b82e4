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
  // The public wait board: live over server-sent events.
  var board = document.querySelector("[data-board]");
  if (board && window.EventSource) {
    var set = function (id, v) { document.getElementById(id).textContent = v; };
    new EventSource(board.dataset.board).addEventListener("board", function (e) {
      var b = JSON.parse(e.data);
      set("waiting", b.waiting == null ? "\u2013" : b.waiting);
      var unit = document.getElementById("wait").dataset.unit || "min";
      set("wait", b.walkin_wait_minutes == null ? "\u2013" : b.walkin_wait_minutes + " " + unit);
      document.getElementById("stale").hidden = !b.stale;
      b.lanes.forEach(function (l) {
        var t = board.querySelector('[data-lane="' + l.lane + '"]');
        if (!t) return;
        // Open but unconfirmed (no box reporting) is grey, not green.
        t.className = "slot " + (!l.up ? "full" : b.stale ? "unknown" : "low");
        t.querySelector("small").textContent = !l.up ? t.dataset.down : b.stale ? t.dataset.unknown : t.dataset.up;
      });
      var calm = document.getElementById("calm");
      calm.textContent = b.calm_slots.length ? "" : calm.dataset.none;
      b.calm_slots.forEach(function (c) {
        var s = document.createElement("span");
        s.className = "status low"; s.style.marginRight = ".4rem"; s.textContent = c.time;
        calm.appendChild(s);
      });
    });
  }
})();
