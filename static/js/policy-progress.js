// The recompute started by publishing a policy profile: refresh its line until the run is over.
(function () {
  "use strict";
  var box = document.querySelector(".policy-progress[data-progress-url]");
  if (!box) { return; }
  var finished = ["finished", "abandoned", "failed"];
  function status() {
    var line = box.querySelector("[data-run-status]");
    return line ? line.getAttribute("data-run-status") : "";
  }
  function refresh() {
    if (finished.indexOf(status()) !== -1) { return; }
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) { box.innerHTML = html; window.setTimeout(refresh, 3000); })
      .catch(function () { window.setTimeout(refresh, 10000); });
  }
  window.setTimeout(refresh, 2000);
})();
