// Behaviour every page shares, bound here because the Content Security Policy allows no inline
// handler (onchange=, onclick=) and no style attribute.
(function () {
  "use strict";

  // A select that submits its form when changed (the language switch, list filters).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // The dashboard's period picker: its value is a query string; keep the chosen "as of" day.
  document.querySelectorAll("select[data-period-choice]").forEach(function (select) {
    select.addEventListener("change", function () {
      var asOf = select.form.elements.as_of ? select.form.elements.as_of.value : "";
      location.search = select.value + (asOf ? "&as_of=" + encodeURIComponent(asOf) : "");
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // On a phone a table becomes cards (app.css): each cell carries its column's name to show,
  // rows htmx swaps in too.
  var labelCells = function (root) {
    var tables = root.matches && root.matches("table.list") ? [root] : [];
    var table = root.closest ? root.closest("table.list") : null;
    if (table) { tables.push(table); }
    tables = tables.concat(Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll("table.list") : []));
    tables.forEach(function (t) {
      var names = Array.prototype.map.call(t.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      t.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (names[i] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", names[i]); }
        });
      });
    });
  };
  labelCells(document);
  document.body.addEventListener("htmx:load", function (event) { labelCells(event.detail.elt); });

  // Printing opens every folded list (the red-light list's rest), and folds it back after.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details.more-alerts:not([open])"), function (d) { d.open = true; return true; });
  });
  window.addEventListener("afterprint", function () { opened.forEach(function (d) { d.open = false; }); opened = []; });

  // Bars whose length is data (a funnel's share): set through the CSSOM, which the CSP allows.
  document.querySelectorAll("[data-width]").forEach(function (bar) {
    var share = parseFloat(bar.dataset.width);
    if (!isNaN(share)) { bar.style.width = Math.max(0, Math.min(100, share)) + "%"; }
  });
})();
