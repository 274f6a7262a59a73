// Refreshes the standby page from /status.json without a reload; sends the player on once live.
"use strict";
(function () {
  var texts = window.document.getElementById("state");
  if (!texts) { return; }
  // Without JavaScript the page refreshes itself (meta refresh); with it, this poll replaces that.
  var meta = document.querySelector('meta[http-equiv="refresh"]');
  if (meta) { meta.parentNode.removeChild(meta); }
  function set(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function show(id, on) { var el = document.getElementById(id); if (el) { el.hidden = !on; } }
  function apply(s) {
    var state = document.getElementById("state");
    state.className = "state state-" + s.state;
    state.setAttribute("data-state", s.state);
    set("state", s.stateText);
    set("live", s.live ? s.live.name : "no server is live");
    set("players", s.live && s.live.players !== null ? String(s.live.players) : "unknown");
    set("version", s.version || "not known yet");
    show("request", !!s.request);
    set("phase", s.request ? s.request.phase : "");
    set("phase-text", s.request ? s.request.text || "" : "");
    show("by-line", !!(s.request && s.request.by)); set("by", s.request && s.request.by ? s.request.by : "");
    show("switchover", !!s.switchover); set("switchover", s.switchover || "");
    show("typical", !!s.typical); set("typical", s.typical || "");
    show("ask", s.canRequest);
    show("go", s.ready);
    // Once the route points at Foundry, the same address serves it: only another origin is followed.
    if (s.ready && s.url && new URL(s.url).host !== window.location.host) { window.location.replace(s.url); }
  }
  function poll() {
    fetch("/status.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) { apply(s); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
