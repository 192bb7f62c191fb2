/* The dashboard charts (templates/dashboards/board.html): data from the json_script block "dashboard-data";
   clicking a bar or slice opens the list behind it, as the numbers do. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var palette = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6c757d", "#0dcaf0", "#6610f2", "#fd7e14",
                 "#20c997", "#d63384"];

  function open(urls) {
    return function (event, elements) {
      if (elements.length && urls && urls[elements[0].index]) { window.location.href = urls[elements[0].index]; }
    };
  }

  function chart(id, type, series, extra) {
    var canvas = document.getElementById(id);
    if (!canvas || !series) { return; }
    var options = {
      responsive: true, maintainAspectRatio: false, onClick: open(series.urls),
      plugins: {legend: {display: type === "doughnut", position: "right"}}
    };
    if (type === "bar") { options.scales = {y: {beginAtZero: true, ticks: {precision: 0}}}; }
    new Chart(canvas, Object.assign({
      type: type,
      data: {labels: series.labels, datasets: [{data: series.counts,
        backgroundColor: type === "doughnut" ? palette : palette[0]}]},
      options: options
    }, extra || {}));
  }

  chart("chart-by-district", "bar", data.by_district);
  chart("chart-inspection", "doughnut", {labels: data.inspection.labels, counts: data.inspection.counts,
    urls: data.inspection.urls});
  chart("chart-by-type", "bar", data.by_type);
  chart("chart-by-age", "bar", data.by_age);
  chart("chart-complaints", "bar", data.complaints);
  chart("chart-grades", "bar", data.grades);

  var faults = document.getElementById("chart-faults");
  if (faults) {
    new Chart(faults, {
      type: "bar",
      data: {labels: data.faults.labels, datasets: [
        {label: data.faults.label_faults, data: data.faults.faults, backgroundColor: palette[0]},
        {label: data.faults.label_entrapments, data: data.faults.entrapments, backgroundColor: palette[3]}
      ]},
      options: {responsive: true, maintainAspectRatio: false, onClick: open(data.faults.urls),
        scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
    });
  }
}());
