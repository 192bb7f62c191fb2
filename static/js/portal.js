// Behaviour that used to sit in inline handlers (onclick=, onchange=, onsubmit=), which the Content-Security-Policy
// forbids (script-src 'self' plus a per-request nonce; README "Deploying"): a button with data-print prints the page,
// a field with data-autosubmit sends its form when it changes, and a form with data-confirm="question" is sent only
// once the question is answered yes.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (!button) return;
    event.preventDefault();
    window.print();
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) field.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
