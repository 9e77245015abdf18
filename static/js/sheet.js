// The day sheet by village: the jump list becomes tabs, one village on screen at a time (the
// others stay in the form, hidden, so the one sticky save still sends the whole day's sheet).
// Without this script every village shows and the jump list scrolls to it.
(function () {
  "use strict";
  var jump = document.querySelector(".sheet-jump");
  if (!jump) { return; }
  var links = Array.prototype.slice.call(jump.querySelectorAll("a[href^='#village-']"));
  var show = function (id) {
    links.forEach(function (a) {
      var on = a.getAttribute("href") === "#" + id;
      a.setAttribute("aria-current", on ? "true" : "false");
      var block = document.getElementById(a.getAttribute("href").slice(1));
      if (block) { block.hidden = !on; }
    });
  };
  links.forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      show(a.getAttribute("href").slice(1));
      history.replaceState(null, "", a.getAttribute("href"));
      jump.scrollIntoView({ block: "start" });
    });
  });
  var wanted = location.hash.slice(1);
  show(links.some(function (a) { return a.getAttribute("href") === "#" + wanted; }) ? wanted : links[0].getAttribute("href").slice(1));
})();
