/* The funnel page: <div data-zl-funnel="ID"> draws the JSON in <script id="ID"> ({"names", "counts", "amounts",
   "weighted", "labels"}) as an ECharts funnel sized by count; the tooltip shows amount and weighted amount.
   Choosing 本月/本季度/本年 submits at once (the dates are then the preset's); typing dates switches to 自定义.
   No inline scripts (CSP). */
(function () {
  "use strict";

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function draw(el) {
    if (!window.echarts || el.dataset.zlDrawn) { return; }
    var source = document.getElementById(el.dataset.zlFunnel);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    if (!data || !data.names || !data.names.length) { return; }
    el.dataset.zlDrawn = "1";
    var rows = data.names.map(function (name, i) {
      return { name: name, value: data.counts[i], amount: data.amounts[i], weighted: data.weighted[i] };
    });
    var max = Math.max.apply(null, data.counts.concat([1]));
    var chart = window.echarts.init(el);
    chart.setOption({
      color: ["#084298", "#0a58ca", "#0d6efd", "#3d8bfd", "#6610f2", "#198754"],
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return esc(p.name) + "<br>" + esc(data.labels.count) + "：" + esc(p.data.value) + "<br>" +
            esc(data.labels.amount) + "：" + esc(p.data.amount) + "<br>" + esc(data.labels.weighted) + "：" + esc(p.data.weighted);
        }
      },
      series: [{
        type: "funnel", left: "8%", right: "8%", top: 10, bottom: 10, min: 0, max: max, minSize: "30%",
        sort: "none", gap: 2, label: { show: true, position: "inside", formatter: "{b} {c}", color: "#fff", textBorderWidth: 0 },
        data: rows
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function wireForm(form) {
    form.querySelectorAll("input[name=preset]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.value !== "custom") {
          form.querySelectorAll("input[type=date]").forEach(function (d) { d.disabled = true; });
          form.submit();
        }
      });
    });
    form.querySelectorAll("input[type=date]").forEach(function (d) {
      d.addEventListener("change", function () {
        var custom = form.querySelector("input[name=preset][value=custom]");
        if (custom) { custom.checked = true; }
      });
    });
  }

  function init() {
    document.querySelectorAll("[data-zl-funnel]").forEach(draw);
    document.querySelectorAll("[data-zl-period-form]").forEach(wireForm);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
