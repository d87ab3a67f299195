// One click from an email: the answer page posts its form on load, so the score
// is recorded only by a browser running scripts — never by a mail system that
// merely fetches the link to scan it. Without scripts the button does the same.
(function () {
  "use strict";
  function send() {
    const form = document.querySelector("form[data-survey-autosubmit]");
    if (!form) return;
    form.removeAttribute("data-survey-autosubmit");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    form.submit();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", send);
  } else {
    send();
  }
})();
