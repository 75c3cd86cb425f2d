// Draws the figures pages' charts with ECharts (served from the binary). Each <figure
// class="echart"> carries its figures as JSON and as a table; the table stays for screen
// readers and printing, the chart is drawn beside it. ECharts is fetched only on pages that
// have a chart.
(function () {
  "use strict";
  var PALETTE = ["#2f6f4f", "#c97b2a", "#4a7ab5", "#a23b3b", "#7a5ea8", "#5b8c85", "#b59b2f"];

  function loadECharts(done) {
    if (window.echarts) { done(); return; }
    var existing = document.getElementById("echarts-script");
    if (existing) { existing.addEventListener("load", done); return; }
    var s = document.createElement("script");
    s.id = "echarts-script";
    s.src = "/static/echarts.min.js";
    s.addEventListener("load", done);
    document.head.appendChild(s);
  }

  function option(spec, english) {
    var labels = spec.rows.map(function (r) { return r.label; });
    if (spec.kind === "pie") {
      return {
        color: PALETTE,
        animation: false,
        tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + spec.rows[p.dataIndex].shown[0] + "（" + p.percent + "%）"; } },
        series: [{
          type: "pie",
          radius: ["35%", "68%"],
          data: spec.rows.map(function (r) { return { name: r.label, value: r.values[0] }; }),
          label: { formatter: "{b}\n{d}%" }
        }]
      };
    }
    return {
      color: PALETTE,
      animation: false,
      grid: { left: 8, right: 64, top: spec.series.length > 1 ? 28 : 8, bottom: 8, containLabel: true },
      legend: spec.series.length > 1 ? { top: 0, data: spec.series } : undefined,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", axisLabel: { hideOverlap: true } },
      // The first row on top, as in the table.
      yAxis: { type: "category", data: labels, inverse: true, axisLabel: { width: english ? 140 : 110, overflow: "truncate" } },
      series: spec.series.map(function (name, i) {
        return {
          type: "bar",
          name: name,
          data: spec.rows.map(function (r) { return r.values[i]; }),
          label: { show: true, position: "right", formatter: function (p) { return spec.rows[p.dataIndex].shown[i]; } },
          barMaxWidth: 22
        };
      })
    };
  }

  function draw(root) {
    var figures = (root || document).querySelectorAll("figure.echart:not([data-drawn])");
    if (!figures.length) return;
    loadECharts(function () {
      var english = (document.documentElement.lang || "").indexOf("en") === 0;
      figures.forEach(function (figure) {
        var data = figure.querySelector("script.echart-data");
        var canvas = figure.querySelector(".echart-canvas");
        if (!data || !canvas) return;
        var spec;
        try { spec = JSON.parse(data.textContent); } catch (e) { return; }
        if (!spec.rows || !spec.rows.length) { figure.classList.add("echart-empty"); return; }
        var rows = spec.rows.length * Math.max(spec.series.length, 1);
        canvas.style.height = (spec.kind === "pie" ? 260 : Math.max(120, rows * 26 + 40)) + "px";
        var chart = window.echarts.init(canvas, null, { renderer: "canvas", locale: english ? "EN" : "ZH" });
        chart.setOption(option(spec, english));
        figure.setAttribute("data-drawn", "1");
        window.addEventListener("resize", function () { chart.resize(); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
