// carecalc: client-side checks before a form is sent (the server checks everything again) and progress polling
// for long runs. No framework, no network beyond this site: the pages work offline.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // The page's Content-Security-Policy allows no inline script or style: what the markup would have done inline
  // is done here (a bar's width, a form whose action carries the month typed into it).
  for (const bar of document.querySelectorAll(".bar[data-width]")) {
    bar.style.width = `${Number(bar.dataset.width)}px`;
  }
  for (const form of document.querySelectorAll("form[data-action-template]")) {
    form.addEventListener("submit", () => {
      form.action = form.dataset.actionTemplate.replace("MONTH", encodeURIComponent(form.elements.month.value));
    });
  }

  // The menu folds behind a button on a phone (style.css); the button only appears once this script runs.
  const header = document.getElementById("site-header");
  const toggle = document.getElementById("menu-toggle");
  if (header && toggle) {
    toggle.hidden = false;
    header.classList.add("menu-ready");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      header.classList.toggle("menu-open", open);
    });
  }

  // A field's error is tied to it (aria-invalid, aria-describedby) so a screen reader reads it with the field.
  // The server does the same for its own errors (templates/macros/forms.html); this covers the browser's checks.
  const describe = (field, message) => {
    const id = `${field.id || field.name}-client-error`;
    let note = document.getElementById(id);
    if (!message) {
      note?.remove();
      field.removeAttribute("aria-invalid");
      const rest = (field.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
      if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
      else field.removeAttribute("aria-describedby");
      return;
    }
    if (!note) {
      note = document.createElement("span");
      note.id = id;
      note.className = "field-error";
      (field.closest("label") || field).after(note);
    }
    note.textContent = message;
    field.setAttribute("aria-invalid", "true");
    const ids = new Set((field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
    ids.add(id);
    field.setAttribute("aria-describedby", [...ids].join(" "));
  };
  // Errors a template printed inside a field's label without tying them (templates not yet on macros/forms.html):
  // tie them here, so the field is announced as invalid with its message.
  for (const note of document.querySelectorAll("label .field-error")) {
    const control = note.closest("label").querySelector("input, select, textarea");
    if (!control || control.hasAttribute("aria-describedby")) continue;
    if (!note.id) note.id = `${control.id || control.name}-error`;
    control.setAttribute("aria-describedby", note.id);
    control.setAttribute("aria-invalid", "true");
  }
  for (const form of document.querySelectorAll("form[data-validate]")) {
    form.addEventListener("submit", (event) => {
      let first = null;
      for (const field of form.querySelectorAll("input, select, textarea")) {
        if (field.type === "hidden") continue;
        const valid = field.checkValidity();
        field.closest("label")?.classList.toggle("invalid", !valid);
        describe(field, valid ? "" : field.validationMessage);
        if (!valid && !first) first = field;
      }
      if (first) {
        event.preventDefault();
        first.focus();
      }
    });
  }

  // A result the page was reloaded to show (an answer below a form) gets the focus, so it is announced.
  const focusTarget = document.querySelector("[data-focus-on-load]");
  if (focusTarget) {
    if (!focusTarget.hasAttribute("tabindex")) focusTarget.setAttribute("tabindex", "-1");
    focusTarget.focus();
  }

  const job = document.getElementById("job");
  if (job) {
    const bar = document.getElementById("job-progress");
    const message = document.getElementById("job-message");
    const failure = document.getElementById("job-error");
    const poll = async () => {
      try {
        const answer = await fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" } });
        const status = await answer.json();
        const english = document.documentElement.lang === "en";
        const said = english ? status.message_en : status.message_zh;
        if (said) message.textContent = said;
        if (status.fraction !== null && status.fraction !== undefined) bar.value = status.fraction;
        if (status.status === "done") { window.location = job.dataset.resultUrl; return; }
        if (status.status === "failed") {
          const error = status.error || {};
          failure.textContent = (english ? error.message_en : error.message_zh) || "";
          failure.hidden = false;
          bar.hidden = true;
          return;
        }
      } catch (error) {
        message.textContent = document.documentElement.lang === "en" ? "connection lost, retrying…" : "连接中断，正在重试…";
      }
      setTimeout(poll, 700);
    };
    poll();
  }
});
