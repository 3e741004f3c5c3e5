// Frontdesk console: draws the charts of the report pages with Chart.js (ADR 0088). Each
// <canvas data-chart="ID"> names a <script type="application/json" id="ID"> block holding
// {kind, labels, series, unit, unit2, stacked, horizontal}: figures computed by the server,
// never here. Static, same-origin, no eval: the CSP stays script-src 'self'.
(function () {
  "use strict";
  var COLOURS = ["#1f6feb", "#1a7f37", "#b35900", "#8250df", "#c62828", "#0a7ea4",
                 "#6e7781", "#bf3989", "#4d2d00", "#116329"];

  function dataset(series, index, spec) {
    var colour = COLOURS[index % COLOURS.length];
    var line = (series.kind || spec.kind) === "line";
    return {
      label: series.label, data: series.data, type: series.kind || undefined,
      yAxisID: series.axis === "y2" ? "y2" : "y",
      backgroundColor: line ? colour : colour + "cc", borderColor: colour,
      borderWidth: line ? 2 : 0, pointRadius: line ? 2 : 0, spanGaps: true,
      order: line ? 0 : 1
    };
  }

  function config(spec) {
    var scales = {
      // A few categories (sources, queues) are all labelled, slanted if they must be; a
      // run of days skips labels instead.
      x: { stacked: spec.stacked, ticks: spec.labels.length > 8
        ? { autoSkip: true, maxRotation: 0 } : { autoSkip: false, maxRotation: 60 } },
      y: { stacked: spec.stacked, beginAtZero: true, title: { display: !!spec.unit, text: spec.unit } }
    };
    if (spec.unit2) {
      scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                    title: { display: true, text: spec.unit2 } };
    }
    if (spec.horizontal) {
      var swap = scales.x; scales.x = scales.y; scales.y = swap;
    }
    return {
      type: spec.kind,
      data: { labels: spec.labels, datasets: spec.series.map(function (s, i) { return dataset(s, i, spec); }) },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: scales
      }
    };
  }

  function draw(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (window.Chart.getChart(canvas)) { return; }
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      new window.Chart(canvas, config(JSON.parse(source.textContent)));
      canvas.setAttribute("data-drawn", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
