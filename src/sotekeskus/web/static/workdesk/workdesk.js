/* sotekeskus workdesk: keyboard shortcuts, live queue refresh (server-sent events → htmx),
   countdowns. Everything works without this file; it only makes a working day faster. */
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.case-row")); }

  function focusRow(delta) {
    var all = rows();
    if (!all.length) { return; }
    var current = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("tr.case-row") : null;
    var index = current ? all.indexOf(current) + delta : 0;
    index = Math.max(0, Math.min(all.length - 1, index));
    all[index].focus();
  }

  function focusedRow() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("tr.case-row") : null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var row = focusedRow();
    switch (event.key) {
      case "j": case "ArrowDown":
        if (rows().length) { focusRow(1); event.preventDefault(); }
        break;
      case "k": case "ArrowUp":
        if (rows().length) { focusRow(-1); event.preventDefault(); }
        break;
      case "o": case "Enter":
        if (row) { var link = row.querySelector("a.open"); if (link) { link.click(); event.preventDefault(); } }
        break;
      case "c":
        var claim = row ? row.querySelector("form.claim") : document.getElementById("claim-button");
        if (claim) {
          if (claim.tagName === "FORM") { claim.requestSubmit(); } else { claim.click(); }
          event.preventDefault();
        }
        break;
      case "/":
        var filter = document.querySelector("#queue-filters select, #queue-filters input");
        if (filter) { filter.focus(); event.preventDefault(); }
        break;
      case "r":
        refresh();
        break;
      case "d":
        window.location.href = "/workdesk/day";
        break;
      case "q":
        window.location.href = "/workdesk";
        break;
    }
  });

  function refresh() {
    var queue = document.getElementById("queue");
    if (queue && window.htmx) { window.htmx.trigger(queue, "refresh"); }
  }

  // Keep keyboard focus on the same case after the rows are swapped.
  var focusedCase = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var row = focusedRow();
    focusedCase = row ? row.getAttribute("data-case") : null;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "queue") {
      var status = document.getElementById("queue-status");
      if (status) { status.textContent = status.getAttribute("data-updated") || ""; }
      if (focusedCase) {
        var again = document.querySelector('tr.case-row[data-case="' + focusedCase + '"]');
        if (again) { again.focus(); }
      }
      tick();
    }
  });

  // Live refresh: the server sends "changed" when any case changes.
  function listen() {
    var queue = document.getElementById("queue");
    if (!queue || !window.EventSource) { return; }
    var url = queue.getAttribute("data-events");
    var source = new EventSource(url);
    source.addEventListener("changed", function () { refresh(); });
  }

  // Countdowns: seconds left as rendered, minus the time since the page was rendered.
  var loaded = Date.now();
  function tick() {
    var elapsed = Math.floor((Date.now() - loaded) / 1000);
    document.querySelectorAll(".due[data-seconds]").forEach(function (el) {
      var left = parseInt(el.getAttribute("data-seconds"), 10) - elapsed;
      el.setAttribute("data-now-seconds", String(left));
      if (left < 0) { el.classList.add("past"); }
      else if (left < 7200) { el.classList.add("soon"); }
    });
  }
  document.addEventListener("htmx:afterSwap", function () { loaded = Date.now(); });

  document.addEventListener("DOMContentLoaded", function () {
    listen();
    tick();
    window.setInterval(tick, 30000);
  });
})();
