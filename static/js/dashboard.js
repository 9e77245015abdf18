// Draws the weekly trend charts (actual against the pro-rata pace) with the vendored ECharts.
// The same numbers sit in a table beside each chart, for screen readers and for tests.
(function () {
  "use strict";
  var source = document.getElementById("trend-data");
  if (!source || typeof echarts === "undefined") { return; }
  var trends = JSON.parse(source.textContent);
  var screen = document.body.classList.contains("screen");
  var charts = [];
  document.querySelectorAll(".chart[data-trend]").forEach(function (el) {
    var trend = trends[Number(el.dataset.trend)];
    if (!trend) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif" },
      grid: { left: 48, right: 12, top: 28, bottom: 28 },
      legend: { top: 0, data: [el.dataset.actualLabel || "完成", el.dataset.paceLabel || "进度线"], textStyle: { color: screen ? "#e5e7eb" : "#334155" } },
      // Drawn on the canvas: ECharts' HTML tooltip writes style attributes, which the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: { type: "category", data: trend.weeks.map(function (w) { return w.slice(5); }), axisLabel: { color: screen ? "#cbd5e1" : "#475569" } },
      yAxis: { type: "value", axisLabel: { color: screen ? "#cbd5e1" : "#475569" } },
      series: [
        { name: el.dataset.actualLabel || "完成", type: "line", data: trend.actual, smooth: true, symbolSize: 4, areaStyle: { opacity: 0.12 }, lineStyle: { width: 3 } },
        { name: el.dataset.paceLabel || "进度线", type: "line", data: trend.pace, symbol: "none", lineStyle: { type: "dashed", width: 2 } }
      ]
    });
    el.dataset.drawn = "true";
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  var clock = document.getElementById("clock");
  if (clock) {
    var tick = function () { clock.textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false }); };
    tick(); setInterval(tick, 1000);
  }
})();
