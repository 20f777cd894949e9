/* Workbench charts: <div data-zl-chart="ID"> draws the JSON in <script id="ID" type="application/json">
   ({"names": [...], "series": [{"name", "data"}]}) as grouped horizontal bars. No inline scripts (CSP). */
(function () {
  "use strict";

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // The tooltip is HTML: user names go in escaped.
  function tooltip(params) {
    var lines = [esc(params[0].name)];
    params.forEach(function (p) { lines.push(p.marker + esc(p.seriesName) + "：" + esc(p.value)); });
    return lines.join("<br>");
  }

  function draw(el) {
    if (!window.echarts || el.dataset.zlDrawn) { return; }
    var source = document.getElementById(el.dataset.zlChart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    if (!data || !data.names || !data.names.length) { return; }
    el.dataset.zlDrawn = "1";
    el.style.height = Math.max(180, 70 + data.names.length * 34) + "px";
    var chart = window.echarts.init(el);
    chart.setOption({
      color: ["#0d6efd", "#20c997"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.names.slice().reverse(), axisTick: { show: false } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data.slice().reverse(), barMaxWidth: 14,
                 label: { show: true, position: "right" } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() { document.querySelectorAll("[data-zl-chart]").forEach(draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", drawAll); } else { drawAll(); }
})();
