// The supervisors' dashboard: draws its charts with Chart.js (chart.umd.min.js, served beside this file) from the
// numbers the page holds in <script type="application/json"> blocks (data, not code: the CSP runs no inline script).
// The live calls' numbers come in a data-chart attribute with each poll of htmx that changed them (htmx drops the
// <script> elements of what it swaps in); their chart is then drawn again.
(function () {
  "use strict";
  var COLOURS = ["#0a5c36", "#c06a00", "#1f5fa8", "#a32020", "#6b3fa0", "#4a4a4a", "#2e8b57", "#b8860b"];
  var FONT = 'system-ui, "Segoe UI", "Noto Sans", "Noto Sans Arabic", Tahoma, sans-serif';

  function read(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function coloured(data, oneColourEach) {
    data.datasets.forEach(function (dataset, index) {
      var colour = oneColourEach
        ? data.labels.map(function (_label, i) { return COLOURS[i % COLOURS.length]; })
        : COLOURS[index % COLOURS.length];
      dataset.backgroundColor = colour;
      dataset.borderColor = colour;
    });
    return data;
  }

  function draw(canvas, type, data, options) {
    if (!canvas || !data || typeof Chart === "undefined") {
      return;
    }
    var old = Chart.getChart(canvas);
    if (old) {
      old.destroy();
    }
    // Right to left in Arabic: the bars grow leftwards, the hours run leftwards, the axis of counts is on the right.
    var rtl = document.documentElement.dir === "rtl";
    var scales = {
      x: { reverse: rtl, beginAtZero: true, ticks: { precision: 0 } },
      y: { position: rtl ? "right" : "left", beginAtZero: true, ticks: { precision: 0 } },
    };
    new Chart(canvas, {
      type: type,
      data: data,
      options: Object.assign(
        {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          locale: document.documentElement.lang === "ar" ? "ar-MA-u-nu-latn" : "fr-MA",
          scales: type === "doughnut" ? {} : scales,
          plugins: {
            legend: { rtl: rtl, position: "bottom", display: data.datasets.length > 1 || type === "doughnut" },
            tooltip: { rtl: rtl },
          },
        },
        options
      ),
    });
  }

  function drawLive() {
    var box = document.querySelector("#live [data-chart]");
    if (box) {
      draw(box.querySelector("canvas"), "bar", coloured(JSON.parse(box.getAttribute("data-chart")), false), {
        indexAxis: "y",
      });
    }
  }

  function byId(id) {
    return document.getElementById(id);
  }

  // A poll brought new live calls (htmx put in a new #live): draw their chart, and let a screen reader hear the total.
  function liveChanged(event) {
    var live = event.detail && event.detail.elt;
    if (!live || live.id !== "live" || typeof Chart === "undefined") {
      return;
    }
    drawLive();
    var news = document.getElementById("live-news");
    var total = document.getElementById("live-total");
    if (news && total) {
      news.textContent = total.textContent;
    }
  }

  function drawAll() {
    var data = read("dashboard-data");
    if (typeof Chart === "undefined" || !data) {
      return;
    }
    Chart.defaults.font.family = FONT;
    Chart.defaults.color = "#1b1b1b";
    draw(byId("chart-funnel"), "bar", coloured(data.funnel, false), { indexAxis: "y" });
    draw(byId("chart-transfers"), "bar", coloured(data.transfers, true), { indexAxis: "y" });
    draw(byId("chart-sms"), "doughnut", coloured(data.sms, true), {});
    draw(byId("chart-hours"), "bar", coloured(data.hours, false), {});
    drawLive();
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:load", liveChanged);
})();
