// The import job's page: polls the job's JSON (data-url) until it has finished, updating the status, the rows checked
// and the progress bar, then reloads to show the result. Moved out of the template for the Content-Security-Policy.
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box || box.dataset.finished === "1") return;
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      document.getElementById("status-text").textContent = d.status_display;
      document.getElementById("processed").textContent = d.processed_rows;
      var bar = document.getElementById("progress-bar");
      bar.style.width = d.progress_percent + "%";
      bar.textContent = d.progress_percent + "%";
      if (d.finished) { window.location.reload(); } else { setTimeout(poll, 1500); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
