// The knowledge base panel of the ticket page: «Insert link» and «Insert text» put an
// article into the reply box at the cursor. Recording the ticket on the article is an
// htmx POST on the same button; this file only does what htmx cannot: edit a textarea.
(function () {
  "use strict";
  if (window.oporaKbComposer) return; // the ticket partial (and this tag) is re-rendered after a reply
  window.oporaKbComposer = true;
  function insert(area, value) {
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? area.value.length;
    const before = area.value.slice(0, start);
    const gap = before && !before.endsWith("\n") ? "\n" : "";
    area.value = before + gap + value + area.value.slice(end);
    const caret = (before + gap + value).length;
    area.focus();
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-kb-insert]");
    if (!button) return;
    const area = document.querySelector("#composer textarea[name=body]");
    if (!area) return;
    const data = button.dataset;
    insert(area, data.kbInsert === "link" ? data.kbTitle + ": " + data.kbUrl : data.kbText);
  });
})();
