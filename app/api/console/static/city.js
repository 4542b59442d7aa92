// The amount per county as a bar chart (Chart.js, served from node_modules by the API).
(() => {
  var script = document.currentScript;
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var canvas = document.getElementById('amount-chart');
  if (!canvas || typeof Chart === 'undefined') return;
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: [{ label: script.dataset.label, data: data.amounts, backgroundColor: '#2f6db5' }],
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false },
  });
})();
