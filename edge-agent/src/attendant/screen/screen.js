// The attendant's screen: the box's attendant API, with the secret kept for this tab.
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var secret = sessionStorage.getItem("gasq-attendant") || "";
  var REASONS = {
    expired: "Token expired: the slot is over. Send the driver to book again.",
    not_yet_valid: "Too early for this slot: ask the driver to wait or rebook.",
    already_used: "Already used: this booking has been fuelled.",
    revoked: "Cancelled booking: not valid.",
    wrong_station: "Booked at another station.",
    bad_signature: "Not a GasQ token: it may be forged.",
    malformed: "Could not read that token.",
    unknown_key: "Signed with a key this box does not know yet: check its sync."
  };
  function api(method, path, body, raw) {
    var opts = { method: method, headers: { Authorization: "Bearer " + secret } };
    if (raw) { opts.body = raw; opts.headers["Content-Type"] = raw.type || "image/jpeg"; }
    else if (body) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401) { signOut("That secret is not right."); throw new Error("unauthorised"); }
        if (!r.ok) { throw new Error(j.detail || ("The box answered " + r.status)); }
        return j;
      });
    });
  }
  function show(verdict) {
    var v = $("verdict");
    v.hidden = false;
    if (verdict.accepted) {
      v.className = "ok";
      v.innerHTML = "";
      v.appendChild(document.createTextNode("GO" + (verdict.lane ? ": lane " + verdict.lane : "")));
      var s = document.createElement("small");
      s.textContent = (verdict.vehicle || "") + (verdict.quantity_kg ? "  " + verdict.quantity_kg + " kg" : "  fill to full");
      v.appendChild(s);
    } else {
      v.className = "no";
      v.textContent = "STOP";
      var t = document.createElement("small");
      t.textContent = REASONS[verdict.reason] || verdict.reason || "Refused";
      v.appendChild(t);
    }
  }
  function problem(e) {
    var v = $("verdict");
    v.hidden = false; v.className = "no"; v.textContent = "";
    var t = document.createElement("small"); t.textContent = e.message; v.appendChild(t);
  }
  function refresh() {
    if (!secret) return;
    fetch("/status").then(function (r) { return r.json(); }).then(function (s) {
      $("station").textContent = s.station_name || s.station || "";
      var h = $("health");
      var online = s.online_to_cloud;
      h.className = online ? "" : "bad";
      h.textContent = online
        ? "Online: bookings are up to date" + (s.outbox_depth ? " (" + s.outbox_depth + " events still to send)" : ".")
        : "Offline from the cloud: checking tokens and codes still works; new bookings arrive when the link is back.";
    }).catch(function () {});
    api("GET", "/queue").then(function (q) {
      $("waiting").textContent = (q.waiting || []).length + " waiting";
      var lanes = $("lanes"), sel = $("lane"), chosen = sel.value;
      lanes.textContent = ""; sel.textContent = "";
      (q.lanes || []).forEach(function (l) {
        var d = document.createElement("div");
        d.className = "lane" + (l.up ? "" : " down");
        d.textContent = "Lane " + l.lane + (l.up ? " open" : " closed") +
          (l.serving ? " \u00b7 fuelling" : "") + (l.waiting ? " \u00b7 " + l.waiting + " waiting" : "");
        var b = document.createElement("button");
        b.className = "plain"; b.type = "button";
        b.textContent = l.up ? "Close" : "Open";
        b.onclick = function () { api("POST", "/lanes/" + l.lane + "/" + (l.up ? "down" : "up")).then(refresh).catch(problem); };
        d.appendChild(document.createElement("br")); d.appendChild(b);
        lanes.appendChild(d);
        var o = document.createElement("option"); o.value = l.lane; o.textContent = "Lane " + l.lane;
        sel.appendChild(o);
      });
      if (chosen) sel.value = chosen;
    }).catch(function () {});
  }
  function signedIn() {
    $("signin").hidden = true; $("work").hidden = false; $("out").hidden = false; refresh();
  }
  function signOut(why) {
    secret = ""; sessionStorage.removeItem("gasq-attendant");
    $("signin").hidden = false; $("work").hidden = true; $("out").hidden = true;
    $("signin-error").textContent = why || "";
  }
  $("signin").onsubmit = function (e) {
    e.preventDefault();
    secret = $("secret").value.trim();
    api("GET", "/queue").then(function () {
      sessionStorage.setItem("gasq-attendant", secret); signedIn();
    }).catch(function (err) { if (err.message !== "unauthorised") $("signin-error").textContent = err.message; });
  };
  $("out").onclick = function () { signOut(""); };
  $("check").onsubmit = function (e) {
    e.preventDefault();
    var code = $("code").value.trim();
    if (!code) return;
    api("POST", "/validate", { code: code, lane: Number($("lane").value) || null })
      .then(function (v) { show(v); $("code").value = ""; refresh(); }).catch(problem);
  };
  // A photo: shrunk to at most 1600 px in the browser (the box decodes 2 MP at most).
  $("photo").onchange = function () {
    var file = this.files[0];
    if (!file) return;
    var img = new Image();
    img.onload = function () {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      var c = document.createElement("canvas");
      c.width = Math.round(img.width * scale); c.height = Math.round(img.height * scale);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      URL.revokeObjectURL(img.src);
      c.toBlob(function (blob) {
        api("POST", "/frames?lane=" + (Number($("lane").value) || ""), null, blob)
          .then(function (v) { show(v); refresh(); }).catch(problem);
      }, "image/jpeg", 0.9);
    };
    img.src = URL.createObjectURL(file);
    this.value = "";
  };
  $("walkin").onsubmit = function (e) {
    e.preventDefault();
    api("POST", "/walkins", { vehicle: $("vehicle").value.trim() || null }).then(function (t) {
      $("ticket").textContent = "Ticket " + t.ticket + (t.lane ? ": lane " + t.lane : ": wait for a lane");
      $("vehicle").value = ""; refresh();
    }).catch(problem);
  };
  if (secret) signedIn();
  setInterval(refresh, 5000);
})();
