// The city dashboard's charts (Chart.js, served from node_modules by the API); the figures are
// computed on the server (SQL over the projections) and embedded as JSON.
(() => {
  var script = document.currentScript;
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  if (typeof Chart === 'undefined') return;
  var palette = ['#2f6db5', '#d9822b', '#3a9a5b', '#b53a3a', '#7a4fb5', '#2ba6a6', '#8c6d3f', '#c2549c', '#6b7b8c'];
  // A fresh options object per chart: Chart.js keeps (and fills in) the object it is given.
  function options(extra) {
    return Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, extra);
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }
  draw('amount-chart', {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: [{ label: script.dataset.label, data: data.amounts, backgroundColor: palette[0] }],
    },
    options: options(),
  });
  draw('quarters-chart', {
    type: 'bar',
    data: {
      labels: data.quarters,
      datasets: data.series.map((s, i) => ({
        label: s.label,
        data: s.amounts,
        backgroundColor: palette[i % palette.length],
      })),
    },
    options: options({ scales: { x: { stacked: true }, y: { stacked: true } } }),
  });
  draw('cap-chart', {
    type: 'bar',
    data: {
      labels: data.capLabels,
      datasets: [
        {
          label: script.dataset.people,
          data: data.capPeople,
          backgroundColor: data.capLabels.map((_, i) => (i === data.capLabels.length - 1 ? '#b53a3a' : palette[2])),
        },
      ],
    },
    options: options(),
  });
  draw('outcome-chart', {
    type: 'bar',
    data: {
      labels: data.outcomeLabels,
      datasets: [{ label: script.dataset.rows, data: data.outcomeRows, backgroundColor: palette.slice(0, 4) }],
    },
    options: options({ indexAxis: 'y' }),
  });
})();
