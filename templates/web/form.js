// The leaflet form, checked in place before the PDF opens in a new tab: a mistake in what was typed
// (or a translation that is not ready) is shown on this page, next to its field, never in a new tab.
// Without JavaScript the form works as before: its answer, PDF or mistakes, opens in the new tab.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form.create") || form.dataset.checked === "yes" || !window.fetch) {
    return;
  }
  event.preventDefault();
  var submitter = event.submitter || null;
  var data = new URLSearchParams(new FormData(form, submitter));
  function submitForReal() {
    form.dataset.checked = "yes";
    form.requestSubmit(submitter);
    delete form.dataset.checked;
  }
  fetch(form.action, {method: "POST", body: data, credentials: "same-origin", headers: {"X-Leaflets-Check": "1"}})
    .then(function (response) {
      if (response.status === 204) {
        submitForReal();
        return null;
      }
      return response.text().then(function (html) {
        var answer = new DOMParser().parseFromString(html, "text/html");
        var main = answer.querySelector("main");
        if (!main) {
          submitForReal();
          return;
        }
        document.querySelector("main").replaceWith(document.importNode(main, true));
        document.title = answer.title;
        var alert = document.querySelector("main [role=alert]");
        if (alert) {
          alert.setAttribute("tabindex", "-1");
          alert.focus();
        }
      });
    })
    .catch(submitForReal);
});
