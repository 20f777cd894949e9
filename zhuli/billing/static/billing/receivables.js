// The aging bar chart of /finance/receivables/: the buckets the table beside it shows (the last, grey, is the
// outstanding on no instalment); labels slant on narrow screens so they do not overlap.
(function () {
  var el = document.getElementById("aging-chart");
  var data = document.getElementById("aging-data");
  if (!el || !data || !window.echarts) return;
  var chart = JSON.parse(data.textContent);
  var bars = window.echarts.init(el);
  bars.setOption({
    grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return "¥" + Number(v).toLocaleString("zh-CN", { minimumFractionDigits: 2 }); } },
    xAxis: { type: "category", data: chart.labels, axisLabel: { interval: 0, fontSize: 11, rotate: el.clientWidth < 520 ? 35 : 0 } },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: chart.values.map(Number), itemStyle: { color: function (p) { return p.dataIndex === 0 ? "#0d6efd" : ["#0d6efd", "#ffc107", "#fd7e14", "#dc3545", "#842029", "#6c757d"][p.dataIndex]; } } }],
  });
  window.addEventListener("resize", function () { bars.resize(); });
})();
