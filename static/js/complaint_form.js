// The complaint form: show the emergency numbers as soon as "有人被困" is chosen.
// Without JavaScript the server shows them when the form comes back with that choice.
(function () {
  var form = document.getElementById("complaint-form");
  var help = document.getElementById("trapped-help");
  if (!form || !help) return;
  form.addEventListener("change", function (event) {
    if (event.target.name !== "trapped_now") return;
    help.hidden = event.target.value !== "yes";
    if (!help.hidden) help.scrollIntoView({behavior: "smooth", block: "center"});
  });
})();
