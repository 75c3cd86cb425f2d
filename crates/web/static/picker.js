// A long list made searchable: typing in an input with data-filter-for hides the options of that
// select whose text does not contain what was typed (the list works without this script).
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-filter-for]");
  Array.prototype.forEach.call(inputs, function (input) {
    var select = document.getElementById(input.getAttribute("data-filter-for"));
    if (!select) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim();
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        option.hidden = needle !== "" && option.text.indexOf(needle) < 0;
      });
    });
  });
})();
