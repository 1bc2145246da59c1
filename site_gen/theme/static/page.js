(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var badge = document.getElementById("state");
  if (badge && badge.getAttribute("data-state") === "open") {
    var now = new Date();
    var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    if (today > badge.getAttribute("data-due")) {
      badge.textContent = badge.getAttribute("data-overdue");
      badge.setAttribute("data-state", "overdue");
      badge.className = "badge badge-overdue";
    }
  }
  if (navigator.clipboard) {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
          button.textContent = button.getAttribute("data-copied");
          setTimeout(function () { button.textContent = label; }, 1600);
        });
      });
    });
  }
  var print = document.getElementById("print");
  if (print && window.print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
