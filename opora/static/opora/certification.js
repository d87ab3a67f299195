// The countdown of a time-limited certification attempt. The server decides what
// is late; this only shows the time left and, when it runs out, submits the answers
// as they stand so they arrive within the server's grace period.
(function () {
  "use strict";
  function start(el) {
    const remaining = Number(el.dataset.certRemaining);
    if (Number.isNaN(remaining)) return;
    // Counted from this page's load, not the device clock, which may be wrong.
    const end = Date.now() + remaining * 1000;
    const form = document.getElementById(el.dataset.certForm);
    let submitted = false;
    function tick() {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      const minutes = Math.floor(left / 60);
      const seconds = String(left % 60).padStart(2, "0");
      el.textContent = minutes + ":" + seconds;
      el.classList.toggle("cert-countdown-low", left <= 60);
      if (left === 0 && !submitted && form) {
        submitted = true;
        el.textContent = el.dataset.certExpired || "0:00";
        form.requestSubmit();
      }
    }
    tick();
    setInterval(tick, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-cert-remaining]").forEach(start);
  });
})();
