// The supervisor's view, live: the server pushes the panel (server-sent events) whenever the ledger
// moves; this swaps it in. No inline script anywhere (the CSP forbids it); no build step.
(function () {
  "use strict";
  var panel = document.getElementById("panel");
  var live = document.getElementById("live");
  if (!panel || !window.EventSource) { return; }
  function state(name) {
    if (!live) { return; }
    live.dataset.state = name;
    live.textContent = name === "on" ? live.dataset.on : live.dataset.off;
  }
  var source = new EventSource("/events");
  source.addEventListener("open", function () { state("on"); });
  source.addEventListener("error", function () { state("off"); });
  source.addEventListener("panel", function (event) {
    panel.innerHTML = event.data;
    panel.dataset.seq = event.lastEventId;
    state("on");
  });
  source.addEventListener("signout", function (event) {
    source.close();
    window.location.assign(event.data || "/signin");
  });
})();
