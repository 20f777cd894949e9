/* Customer, follow-up and workbench screens, driven by data- attributes (no inline scripts: CSP). */
(function () {
  "use strict";

  // <select data-zl-reset="#other">: changing it clears the dependent picker before the form is sent.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches("[data-zl-reset]")) { return; }
    el.dataset.zlReset.split(",").forEach(function (sel) {
      document.querySelectorAll(sel).forEach(function (other) {
        other.value = "";
        while (other.options && other.options.length > 1) { other.remove(1); }
      });
    });
  }, true);

  // GET forms with data-zl-clean-params leave empty fields out of the URL.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form[data-zl-clean-params]") : null;
    if (!form || event.detail.verb !== "get") { return; }
    var params = event.detail.parameters;
    var keys = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (k) {
      var v = params instanceof FormData ? params.getAll(k) : [params[k]];
      if (v.every(function (x) { return x === "" || x === null || x === undefined; })) {
        if (params instanceof FormData) { params.delete(k); } else { delete params[k]; }
      }
    });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-zl-clean-params]") || form.getAttribute("hx-get")) { return; }
    Array.prototype.forEach.call(form.elements, function (el) { if (el.name && el.value === "") { el.disabled = true; } });
  });

  // Bulk selection on lists.
  function refreshSelection() {
    var boxes = document.querySelectorAll("[data-zl-select]");
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) { n += 1; } });
    document.querySelectorAll("[data-zl-selected-count]").forEach(function (el) { el.textContent = String(n); });
    document.querySelectorAll("[data-zl-needs-selection]").forEach(function (el) { el.disabled = n === 0; });
    document.querySelectorAll("[data-zl-bulk]").forEach(function (el) { el.classList.toggle("zl-bulk-idle", n === 0); });
    document.querySelectorAll("[data-zl-select-all]").forEach(function (el) {
      el.checked = n > 0 && n === boxes.length;
      el.indeterminate = n > 0 && n < boxes.length;
    });
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.matches) { return; }
    if (el.matches("[data-zl-select-all]")) {
      document.querySelectorAll("[data-zl-select]").forEach(function (b) { b.checked = el.checked; });
      refreshSelection();
    } else if (el.matches("[data-zl-select]")) {
      refreshSelection();
    }
  });
  document.addEventListener("htmx:afterSettle", refreshSelection);
  document.addEventListener("DOMContentLoaded", refreshSelection);

  // Quick dates for the next follow-up: <button data-zl-set-date="3" data-zl-target="#id">.
  function isoDay(offset) {
    var d = new Date();
    d.setDate(d.getDate() + offset);
    var m = String(d.getMonth() + 1).padStart(2, "0");
    var day = String(d.getDate()).padStart(2, "0");
    return d.getFullYear() + "-" + m + "-" + day;
  }
  document.addEventListener("click", function (event) {
    var btn = event.target.closest ? event.target.closest("[data-zl-set-date]") : null;
    if (!btn) { return; }
    event.preventDefault();
    var input = document.querySelector(btn.dataset.zlTarget);
    if (input) { input.value = isoDay(parseInt(btn.dataset.zlSetDate, 10) || 0); input.dispatchEvent(new Event("change")); }
  });

  // Elements marked data-zl-focus get the focus after they arrive (e.g. the quick-add box opened from a todo).
  function focusMarked(root) {
    var el = root.querySelector ? root.querySelector("[data-zl-focus]") : null;
    if (el) { el.focus(); if (el.scrollIntoView) { el.scrollIntoView({ block: "center" }); } }
  }
  document.addEventListener("DOMContentLoaded", function () { focusMarked(document); });
  document.addEventListener("htmx:afterSettle", function (event) { focusMarked(event.detail.elt || document); });
})();
