/* The line editor of contracts, orders and quotes: add / remove rows, a product picker fed by
   /api/v1/products, and a running total (display only: the server computes the stored amounts with
   the same rule, quantity × price × (1 − discount%) rounded half-up to the cent). */
(function () {
  "use strict";
  var editor = document.querySelector("[data-zl-lines]");
  if (!editor) { return; }
  var rows = editor.querySelector("[data-zl-line-rows]");
  var template = editor.querySelector("[data-zl-line-template]");
  var next = rows.querySelectorAll("[data-zl-line]").length + 1;

  function cents(text) {
    var v = parseFloat(String(text || "").replace(/[,，¥￥\s]/g, ""));
    return isFinite(v) ? v : 0;
  }
  function roundHalfUp(value) {
    return Math.sign(value) * Math.round(Math.abs(value) * 100 + 1e-7) / 100;
  }
  function money(value) {
    return value.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function field(row, name) { return row.querySelector('[data-field="' + name + '"]'); }
  function recompute() {
    var total = 0;
    rows.querySelectorAll("[data-zl-line]").forEach(function (row) {
      if (!field(row, "name") || field(row, "name").disabled) {
        var shown = cents(row.querySelector("[data-zl-line-amount]").textContent);
        total += shown;
        return;
      }
      var amount = roundHalfUp(cents(field(row, "quantity").value) * cents(field(row, "unit_price").value) *
                               (100 - cents(field(row, "discount").value)) / 100);
      row.querySelector("[data-zl-line-amount]").textContent = money(amount);
      total += amount;
    });
    editor.querySelector("[data-zl-lines-total]").textContent = "¥" + money(roundHalfUp(total));
  }
  function addRow() {
    var html = template.innerHTML.replace(/__N__/g, String(next++));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    rows.appendChild(holder.firstElementChild);
    recompute();
  }
  var timer = null;
  function search(row, text) {
    var box = row.querySelector("[data-zl-product-results]");
    var kind = editor.getAttribute("data-products-kind");
    var url = "/api/v1/products?page_size=8&is_active=true&q=" + encodeURIComponent(text) + (kind ? "&kind=" + kind : "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        box.innerHTML = "";
        (data.items || []).forEach(function (p) {
          var item = document.createElement("button");
          item.type = "button";
          item.className = "list-group-item list-group-item-action small py-1";
          item.textContent = (p.code ? p.code + " " : "") + p.name + (p.specification ? "（" + p.specification + "）" : "");
          item.addEventListener("click", function () {
            field(row, "product_id").value = p.id;
            field(row, "name").value = p.name || "";
            field(row, "specification").value = p.specification || "";
            field(row, "unit").value = (p.unit && p.unit.name) || "";
            if (p.list_price !== undefined && p.list_price !== null) { field(row, "unit_price").value = p.list_price; }
            if (p.tax_rate !== undefined && p.tax_rate !== null) { field(row, "tax_rate").value = p.tax_rate; }
            box.classList.add("d-none");
            recompute();
          });
          box.appendChild(item);
        });
        box.classList.toggle("d-none", !box.children.length);
      })
      .catch(function () { box.classList.add("d-none"); });
  }
  editor.addEventListener("click", function (event) {
    if (event.target.closest("[data-zl-add-line]")) { addRow(); }
    var remove = event.target.closest("[data-zl-remove-line]");
    if (remove) { remove.closest("[data-zl-line]").remove(); recompute(); }
  });
  editor.addEventListener("input", function (event) {
    var row = event.target.closest("[data-zl-line]");
    if (!row) { return; }
    if (event.target.getAttribute("data-field") === "name") {
      clearTimeout(timer);
      var text = event.target.value.trim();
      if (text.length >= 1) { timer = setTimeout(function () { search(row, text); }, 250); }
    }
    recompute();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-zl-product-results]")) {
      editor.querySelectorAll("[data-zl-product-results]").forEach(function (b) { b.classList.add("d-none"); });
    }
  });
  if (!rows.querySelector("[data-zl-line]") && template) { addRow(); }
  recompute();
})();
