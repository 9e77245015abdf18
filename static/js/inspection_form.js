// The inspection form: add a hazard or migrant row by copying the formset's empty form, numbering
// it, and bumping the management form's count. The new row goes just above the button that added
// it, is scrolled into view and takes the focus. A file of its own: the CSP allows no inline script.
document.querySelectorAll("[data-add]").forEach(function (button) {
  button.addEventListener("click", function () {
    var kind = button.dataset.add, prefix = kind === "hazard" ? "hazards" : "migrants";
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var html = document.getElementById("empty-" + kind).innerHTML.replace(/__prefix__/g, total.value);
    var holder = button.closest(".add-row") || button;
    holder.insertAdjacentHTML("beforebegin", html);
    total.value = parseInt(total.value, 10) + 1;
    var row = holder.previousElementSibling;
    if (row) {
      row.scrollIntoView({ block: "center" });
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus({ preventScroll: true }); }
    }
  });
});
