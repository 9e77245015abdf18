// 大屏: the clock, and the red-light list turning over a page at a time so every item is seen
// without scrolling. No inline script: the CSP forbids it, so this file does it all.
(function () {
  "use strict";
  var clock = document.getElementById("clock");
  if (clock) {
    var tick = function () { clock.textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false }); };
    tick();
    setInterval(tick, 1000);
  }
  var list = document.querySelector("[data-rotate]");
  if (!list) { return; }
  var items = Array.prototype.slice.call(list.children);
  var size = Number(list.dataset.rotate) || 8;
  var pages = Math.ceil(items.length / size);
  var label = document.getElementById("alert-page");
  var page = 0;
  var show = function () {
    items.forEach(function (item, i) { item.hidden = Math.floor(i / size) !== page; });
    if (label) { label.textContent = (page + 1) + " / " + pages; }
  };
  show();
  if (pages > 1) {
    setInterval(function () { page = (page + 1) % pages; show(); }, (Number(list.dataset.seconds) || 8) * 1000);
  }
})();
