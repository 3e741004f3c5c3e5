// Frontdesk console: the only hand-written script. It keeps times moving between server
// updates: <time class="since"> shows how long ago, <time class="until"> counts down.
(function () {
  "use strict";
  function format(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m > 0 ? m + " min " + s + " s" : s + " s";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.since[datetime]").forEach(function (el) {
      el.textContent = format((now - Date.parse(el.getAttribute("datetime"))) / 1000);
    });
    document.querySelectorAll("time.until[datetime]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("datetime")) - now) / 1000;
      el.textContent = format(left);
      el.closest(".task") && el.closest(".task").classList.toggle("expiring", left < 10);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
})();
