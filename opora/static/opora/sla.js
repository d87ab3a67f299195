// Live SLA countdowns: every [data-sla-due] shows the time left to its deadline
// («in 2 h 05 min») or past it («overdue by 15 min»), refreshed every 15 seconds.
// Unit words come translated from the page (data-units="d|h|min|in|overdue by").
(function () {
  "use strict";
  function format(seconds, units) {
    const [d, h, m, ahead, late] = units.split("|");
    const total = Math.round(Math.abs(seconds) / 60);
    const days = Math.floor(total / 1440);
    const hours = Math.floor((total % 1440) / 60);
    const minutes = total % 60;
    let text;
    if (days) text = days + " " + d + (hours ? " " + hours + " " + h : "");
    else if (hours) text = hours + " " + h + " " + String(minutes).padStart(2, "0") + " " + m;
    else text = minutes + " " + m;
    return (seconds < 0 ? late : ahead) + " " + text;
  }
  function tick() {
    document.querySelectorAll("[data-sla-due]").forEach(function (el) {
      const seconds = (Date.parse(el.dataset.slaDue) - Date.now()) / 1000;
      if (Number.isNaN(seconds)) return;
      el.textContent = format(seconds, el.dataset.units || "d|h|min|in|overdue by");
      el.classList.toggle("sla-late", seconds < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 15000);
})();
