// Show only the uploads the checklist asks for, given the detail that decides it (group, scheme, ...).
// The deciding field's name comes from the script element's data-checklist-field.
(function () {
  "use strict";
  var script = document.currentScript;
  var mapElement = document.getElementById("checklist-map");
  if (!script || !mapElement) return;
  var map = JSON.parse(mapElement.textContent);
  var keys = Object.keys(map);
  if (!keys.length) return;
  var control = document.querySelector('[name="' + script.getAttribute("data-checklist-field") + '"]');
  if (!control) return;
  function update() {
    var value = control.type === "checkbox" ? (control.checked ? "on" : "") : control.value;
    var shown = map[value];
    document.querySelectorAll("[data-document]").forEach(function (el) {
      var input = el.querySelector("input[type=file]");
      var keep = !shown || shown.indexOf(el.dataset.document) >= 0 || (input && input.value);
      el.hidden = !keep;
    });
  }
  control.addEventListener("change", update);
  update();
})();
