// The fault replay on /grid/{id}: steps through the frames the server computed (which switches
// are open, which buses and lines are dark) by setting classes on the SVG's elements.
(function () {
  var data = document.getElementById('frames');
  if (!data) { return; }
  var frames = JSON.parse(data.textContent);
  var svg = document.getElementById('network');
  var label = document.getElementById('frame-label');
  var at = 0;
  var timer = null;
  function show(i) {
    at = Math.max(0, Math.min(frames.length - 1, i));
    var f = frames[at];
    svg.querySelectorAll('[data-switch]').forEach(function (el) {
      var open = f.open.indexOf(el.getAttribute('data-switch')) >= 0;
      el.classList.toggle('open', open);
      el.classList.toggle('closed', !open);
    });
    svg.querySelectorAll('[data-bus]').forEach(function (el) {
      var id = el.getAttribute('data-bus');
      el.classList.toggle('dark', f.dark_buses.indexOf(id) >= 0);
      el.classList.toggle('generator', f.generator_buses.indexOf(id) >= 0);
    });
    svg.querySelectorAll('[data-line]').forEach(function (el) {
      el.classList.toggle('dark', f.dark_lines.indexOf(el.getAttribute('data-line')) >= 0);
    });
    label.textContent = (at + 1) + '/' + frames.length + ' · ' + f.label;
    document.querySelectorAll('#steps li').forEach(function (li, k) {
      li.classList.toggle('current', k === at);
    });
  }
  document.getElementById('prev').addEventListener('click', function () { show(at - 1); });
  document.getElementById('next').addEventListener('click', function () { show(at + 1); });
  document.getElementById('play').addEventListener('click', function () {
    if (timer) { clearInterval(timer); timer = null; return; }
    show(0);
    timer = setInterval(function () {
      if (at >= frames.length - 1) { clearInterval(timer); timer = null; return; }
      show(at + 1);
    }, 900);
  });
  show(0);
})();
