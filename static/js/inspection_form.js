// The inspection form: add a hazard or migrant row by copying the formset's empty form, numbering
// it, and bumping the management form's count. A file of its own: the CSP allows no inline script.
document.querySelectorAll("[data-add]").forEach(function (button) {
  button.addEventListener("click", function () {
    var kind = button.dataset.add, prefix = kind === "hazard" ? "hazards" : "migrants";
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var html = document.getElementById("empty-" + kind).innerHTML.replace(/__prefix__/g, total.value);
    document.getElementById(prefix).insertAdjacentHTML("beforeend", html);
    total.value = parseInt(total.value, 10) + 1;
  });
});
