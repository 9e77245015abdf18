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

  // A save htmx could not swap in (a refusal other than a form's 400, or no connection) still
  // answers, beside the form: what was typed stays where it is.
  function saveFailed(event, text) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (!form || !text) { return; }
    var note = form.querySelector(".save-failed");
    if (!note) {
      note = document.createElement("div");
      note.className = "error save-failed";
      note.setAttribute("role", "alert");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = text;
  }
  document.body.addEventListener("htmx:responseError", function (event) { saveFailed(event, document.body.dataset.saveError); });
  document.body.addEventListener("htmx:sendError", function (event) { saveFailed(event, document.body.dataset.saveOffline); });

  // 我的填报's "save all": every card holding something typed (or a status changed) sends itself;
  // each answers in its own place, so one refused card leaves the others' text alone.
  function typedIn(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (el.type === "hidden" || el.type === "submit") { return false; }
      if (el.tagName === "SELECT") {
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      if (el.tagName === "TEXTAREA" || el.type === "text") { return el.value.trim() !== ""; }
      return el.value !== el.defaultValue;
    });
  }
  // One card after another, not all at once: a phone's weak connection, and the database, take
  // them in turn. A card the browser finds invalid says so and the rest still go.
  document.querySelectorAll("[data-save-all]").forEach(function (button) {
    button.addEventListener("click", function () {
      var queue = Array.prototype.filter.call(document.querySelectorAll("main form[hx-post]"), typedIn);
      var next = function () {
        var form = queue.shift();
        if (!form) { return; }
        if (!form.checkValidity()) { form.reportValidity(); next(); return; }
        // Heard on the form itself: once its card is swapped the form is detached, and the event
        // no longer bubbles to the page.
        form.addEventListener("htmx:afterRequest", next, { once: true });
        form.requestSubmit();
      };
      next();
    });
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
  // A list's area filter (xicheng.filters.AreaSearchInput): typing asks the server for the areas
  // of the user's own subtree whose name holds the text, offered as suggestions; picking one puts
  // its id in the hidden input the form submits. Clearing the box clears the choice.
  document.querySelectorAll("[data-area-search]").forEach(function (box) {
    var text = box.querySelector("input[type=search]");
    var chosen = box.querySelector("input[type=hidden]");
    var list = box.querySelector("datalist");
    var ids = {};
    var timer = null;
    function pick() {
      var label = text.value.trim();
      if (!label) { chosen.value = ""; return true; }
      if (Object.prototype.hasOwnProperty.call(ids, label)) { chosen.value = ids[label]; return true; }
      return false;
    }
    text.addEventListener("input", function () {
      if (pick()) { return; }
      chosen.value = "";
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var url = box.dataset.areaSearch + "?q=" + encodeURIComponent(text.value.trim());
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            ids = {};
            list.replaceChildren();
            data.results.forEach(function (area) {
              ids[area.label] = area.id;
              var option = document.createElement("option");
              option.value = area.label;
              list.appendChild(option);
            });
            // A name typed whole that only one area has is that area.
            if (!pick() && data.results.length === 1) { chosen.value = data.results[0].id; }
          });
      }, 200);
    });
    text.addEventListener("change", pick);
  });
})();
