// The agents' console: how long each caller has waited, ticking every second between the queue's polls.
// The server renders each time as mm:ss with data-waited (seconds, by the app's clock); this file counts on from
// there with the browser's clock, so that the two clocks need not agree. No other script runs on the page but htmx.
(function () {
  "use strict";
  var start = new WeakMap();
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".waited[data-waited]").forEach(function (element) {
      if (!start.has(element)) {
        start.set(element, now - 1000 * Number(element.getAttribute("data-waited")));
      }
      var seconds = Math.max(0, Math.floor((now - start.get(element)) / 1000));
      element.textContent = pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  window.setInterval(tick, 1000);
})();
