// warroom's pages work without this file; it adds two things where a browser runs it:
// local times on hover, and live filtering of long tables (a search box with data-filter).
(function () {
  "use strict";
  function localTimes(root) {
    var format = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      timeZoneName: "short"
    });
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        node.title = "Your local time: " + format.format(when);
      }
    });
  }
  function filters(root) {
    root.querySelectorAll("input[data-filter]").forEach(function (input) {
      var table = document.getElementById(input.getAttribute("data-filter"));
      if (!table) { return; }
      input.addEventListener("input", function () {
        var wanted = input.value.trim().toLowerCase();
        table.querySelectorAll("tbody tr").forEach(function (row) {
          row.hidden = wanted !== "" && row.textContent.toLowerCase().indexOf(wanted) < 0;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    filters(document);
  });
})();
