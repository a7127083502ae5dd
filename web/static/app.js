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

  for (const form of document.querySelectorAll("form[data-validate]")) {
    form.addEventListener("submit", (event) => {
      for (const field of form.querySelectorAll("input, select, textarea")) {
        field.closest("label")?.classList.toggle("invalid", !field.checkValidity());
      }
      if (!form.checkValidity()) {
        event.preventDefault();
        form.reportValidity();
      }
    });
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
