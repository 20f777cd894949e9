/* Behaviour for the whole UI, driven by data- attributes (no inline handlers: a CSP comes later). */
(function () {
  "use strict";

  function showToast(message, color) {
    var box = document.getElementById("zl-toasts");
    var tpl = document.getElementById("zl-toast-template");
    if (!box || !tpl) { return; }
    var node = tpl.content.firstElementChild.cloneNode(true);
    node.querySelector(".toast-body").textContent = message; // text, never HTML
    if (color) { node.className = node.className.replace("text-bg-danger", "text-bg-" + color); }
    box.appendChild(node);
    if (window.bootstrap) { new bootstrap.Toast(node, { autohide: false }); }
  }
  window.zhuliToast = showToast;

  // Translated phrases live on the toast template (data-error-default …), so this file has no UI text.
  function phrase(name) {
    var tpl = document.getElementById("zl-toast-template");
    return (tpl && tpl.dataset[name]) || "";
  }

  function initToasts(root) {
    if (!window.bootstrap) { return; }
    root.querySelectorAll(".toast[data-zl-autohide]").forEach(function (el) {
      if (el.dataset.zlReady) { return; }
      el.dataset.zlReady = "1";
      var toast = new bootstrap.Toast(el, { autohide: el.dataset.zlAutohide === "true", delay: 4000 });
      el.classList.remove("show");
      toast.show();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { initToasts(document); });

  // Forms that need a second thought: <form data-confirm="确定删除？">; a submit button's own data-confirm wins.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.dataset && button.dataset.confirm) || (form.dataset && form.dataset.confirm);
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    // <form data-prompt="退回原因" data-prompt-field="reason">: asks for a short text into that (hidden) field;
    // cancelling the question cancels the submit.
    var ask = form.dataset && form.dataset.prompt;
    var field = ask && form.elements[form.dataset.promptField || ""];
    if (field) {
      var answer = window.prompt(ask, field.value || "");
      if (answer === null) { event.preventDefault(); return; }
      field.value = answer.slice(0, 200);
    }
  }, true);

  // <select data-autosubmit> submits its form when changed.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) { el.form.requestSubmit(); }
  });

  // <button data-zl-print> opens the browser's print dialog (the print pages of contracts, orders, receipts).
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-zl-print]");
    if (el) { event.preventDefault(); window.print(); }
  });

  // Errors from htmx requests: the server answers a short text message (zhuli.web.errors).
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    var text = type.indexOf("text/plain") === 0 ? xhr.responseText : "";
    showToast(text || phrase("errorDefault"));
  });
  document.addEventListener("htmx:sendError", function () { showToast(phrase("networkError")); });

  // Global search dropdown.
  var input = null, results = null;
  function hideResults() { if (results) { results.classList.remove("show"); } }
  document.addEventListener("htmx:afterSwap", function (event) {
    initToasts(document);
    if (event.target && event.target.id === "zl-search-results") {
      results = event.target;
      input = document.getElementById("zl-search-input");
      results.classList.toggle("show", results.textContent.trim() !== "" && input && input.value.trim() !== "");
    }
  });
  document.addEventListener("click", function (event) {
    if (results && !event.target.closest(".zl-search")) { hideResults(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hideResults(); }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.id === "zl-search-input" && results && results.textContent.trim() !== "" && event.target.value.trim()) {
      results.classList.add("show");
    }
  });

  // <select data-zl-search-url="…">: a search box above the select fills its options from the server (name,
  // pinyin, phone), keeping the one chosen; without JavaScript the select alone still works.
  function initSearchSelects(root) {
    root.querySelectorAll("select[data-zl-search-url]:not([data-zl-search-ready])").forEach(function (select) {
      select.setAttribute("data-zl-search-ready", "");
      var box = document.createElement("input");
      box.type = "search";
      box.className = "form-control form-control-sm mb-1";
      box.placeholder = select.dataset.zlSearchPlaceholder || "";
      box.setAttribute("aria-label", box.placeholder);
      box.setAttribute("data-zl-search-box", "");
      select.parentNode.insertBefore(box, select);
      var timer = null, asked = "";
      box.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var q = box.value.trim();
          if (!q || q === asked) { return; }
          asked = q;
          fetch(select.dataset.zlSearchUrl + "?q=" + encodeURIComponent(q), { headers: { "HX-Request": "true" } })
            .then(function (r) { return r.ok ? r.text() : ""; })
            .then(function (html) {
              if (q !== asked) { return; }
              var current = select.selectedIndex >= 0 ? select.options[select.selectedIndex] : null;
              var keep = current && current.value ? current.cloneNode(true) : null;
              select.innerHTML = html;
              var blank = document.createElement("option");
              blank.value = "";
              blank.textContent = "—";
              select.insertBefore(blank, select.firstChild);
              var first = select.querySelector("option[value]:not([value='']):not([disabled])");
              if (keep && !select.querySelector('option[value="' + keep.value + '"]')) { select.appendChild(keep); }
              // Typing asks for a customer: the best match is chosen (the previous one stays in the list).
              select.value = first ? first.value : (keep ? keep.value : "");
              select.dispatchEvent(new Event("change", { bubbles: true }));
            })
            .catch(function () { showToast(phrase("networkError")); });
        }, 250);
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { initSearchSelects(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initSearchSelects(event.target); });
})();
