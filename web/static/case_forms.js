// carecalc: the print button of a form's print view (no inline script under the Content-Security-Policy).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-button");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
