// The "what if I pay" calculator: show only the fields the chosen action needs; without JavaScript
// all are shown.
(function () {
  "use strict";
  var form = document.getElementById("calculator-form");
  if (!form) return;
  function update() {
    var chosen = form.querySelector('input[name="action"]:checked');
    form.querySelectorAll("[data-for]").forEach(function (block) {
      block.hidden = !!chosen && block.getAttribute("data-for").split(" ").indexOf(chosen.value) < 0;
    });
  }
  form.addEventListener("change", update);
  update();
})();
