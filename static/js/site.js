// Behaviour of every page that would otherwise sit in inline event handlers, which the
// Content-Security-Policy forbids (script-src 'self'): delegated, so it works for any element
// present now or later.
//   <select data-autosubmit>        submits its form when the choice changes (language switcher)
//   <button data-print>             prints the page (receipts)
//   <input data-select-on-click>    selects its whole text when clicked (a token to copy)
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    if (event.target.closest("[data-print]")) {
      window.print();
    }
    var selectable = event.target.closest("[data-select-on-click]");
    if (selectable && typeof selectable.select === "function") {
      selectable.select();
    }
  });
})();
