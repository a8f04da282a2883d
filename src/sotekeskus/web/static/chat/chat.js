/* sotekeskus chat (resident and workdesk): after a message is sent with htmx, empty the
   form and keep the focus in it; keep the newest message in view. The pages work without
   this file (plain form posts and reloads). */
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form.chat-send") && event.detail.successful) {
      form.reset();
      var box = form.querySelector("textarea");
      if (box) { box.focus(); }
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    if (!(form && form.matches && form.matches("form.chat-send"))) { return; }
    var status = form.querySelector(".chat-send-status");
    if (status) { status.textContent = event.detail.xhr.responseText || ""; }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    var status = form && form.querySelector ? form.querySelector(".chat-send-status") : null;
    if (status) { status.textContent = ""; }
  });
  document.addEventListener("htmx:sseMessage", function () {
    var log = document.getElementById("chat-log");
    if (log && log.lastElementChild) { log.lastElementChild.scrollIntoView({block: "nearest"}); }
  });
})();
