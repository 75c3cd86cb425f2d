// Tables read as cards on a phone: each cell is given its column's heading, which the stylesheet
// shows before the value under 480 px (on wider screens nothing changes).
(function () {
  "use strict";
  function label(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".table-wrap table"), function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (heads[i] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", heads[i]); }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); });
  document.addEventListener("htmx:afterSwap", function (event) { label(event.target.ownerDocument || document); });
})();
