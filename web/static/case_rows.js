// carecalc: a whole row of a case list opens the case (an enhancement: the case number stays a real link, so
// keyboards, screen readers and pages without script reach the case the same way).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const row of document.querySelectorAll("table.case-rows tr[data-href]")) {
    row.classList.add("row-link");
    row.addEventListener("click", (event) => {
      if (event.target.closest("a, button, input, select, textarea, label")) return;  // their own action
      if (window.getSelection && String(window.getSelection()).length) return;  // selecting text to copy it
      if (event.ctrlKey || event.metaKey || event.button === 1) {
        window.open(row.dataset.href, "_blank", "noopener");
      } else {
        window.location.assign(row.dataset.href);
      }
    });
  }
});
