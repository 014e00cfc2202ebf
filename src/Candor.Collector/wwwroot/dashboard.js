// Draws each section's chart from its canvas's data-chart attribute (see ChartJson in the collector).
// Every figure is also in the section's table; without this script the page still shows them all.
(function () {
  'use strict';

  // Okabe-Ito: told apart with every common colour-vision deficiency.
  var palette = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
  var count = new Intl.NumberFormat('en-US');
  var percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
  var formats = {
    count: function (v) { return count.format(v); },
    percent: function (v) { return percent.format(v); },
    ms: function (v) { return count.format(Math.round(v)) + ' ms'; }
  };

  // Writes each column's value above it: a column chart has only a few periods (one day of data, say), and its
  // figures should read at a glance, not only on hover.
  var values = {
    id: 'candorValues',
    afterDatasetsDraw: function (chart, args, options) {
      if (!options.format) {
        return;
      }
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = Chart.defaults.color;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      chart.data.datasets.forEach(function (dataset, i) {
        chart.getDatasetMeta(i).data.forEach(function (bar, j) {
          var v = dataset.data[j];
          if (v !== null && v !== undefined) {
            ctx.fillText(options.format(v), bar.x, bar.y - 2);
          }
        });
      });
      ctx.restore();
    }
  };

  function config(spec) {
    var format = formats[spec.measure] || formats.count;
    var line = spec.kind === 'line';
    var column = spec.kind === 'column';
    var value = line || column ? 'y' : 'x';
    var scales = {};
    // Columns get room above the tallest one for its value.
    // Counts are whole: no 0.2 ticks on a chart of a few installs.
    scales[value] = { beginAtZero: true, grace: column ? '15%' : 0, ticks: { callback: format, precision: spec.measure === 'count' ? 0 : undefined } };
    scales[value === 'y' ? 'x' : 'y'] = { ticks: { autoSkip: true, maxRotation: 0 } };
    return {
      type: line ? 'line' : 'bar',
      plugins: [values],
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, i) {
          var colour = palette[i % palette.length];
          return {
            label: series.name,
            data: series.values,
            borderColor: colour,
            backgroundColor: colour,
            borderWidth: line ? 2 : 0,
            pointRadius: spec.labels.length > 60 ? 0 : 2,
            maxBarThickness: 64,
            spanGaps: false
          };
        })
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: line || column ? 'x' : 'y',
        interaction: { mode: 'index', intersect: false },
        scales: scales,
        plugins: {
          legend: { display: spec.series.length > 1 },
          candorValues: { format: column ? format : null },
          tooltip: {
            callbacks: {
              label: function (item) { return item.dataset.label + ': ' + format(item.raw); }
            }
          }
        }
      }
    };
  }

  function draw() {
    if (typeof Chart === 'undefined') {
      return;
    }
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = '#1b1f24';
    var started = performance.now();
    var canvases = document.querySelectorAll('canvas[data-chart]');
    for (var i = 0; i < canvases.length; i++) {
      new Chart(canvases[i], config(JSON.parse(canvases[i].getAttribute('data-chart'))));
    }
    // Tests and the benchmark wait for this: every chart on the page is drawn.
    document.body.setAttribute('data-charts-ms', String(Math.round(performance.now() - started)));
    document.body.setAttribute('data-charts-drawn', String(canvases.length));
  }

  draw();
}());
