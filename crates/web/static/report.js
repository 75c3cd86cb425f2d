// Clue reports survive a lost network: the form is sent with fetch; if that fails, its text is
// kept in localStorage and sent again when the phone is back online (photos need the network).
// The server treats the same client_key as one clue, so a resend never makes a duplicate.
// Photos are checked here first: too many, too large or not images are refused before upload.
(function () {
  "use strict";
  var form = document.getElementById("clue-form");
  var key = "minsheng.pending-clues";
  function pending() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(key, JSON.stringify(list)); }
  function send(body, csrf) {
    var headers = { "X-CSRF-Token": csrf };
    if (typeof body === "string") { headers["Content-Type"] = "application/x-www-form-urlencoded"; }
    return fetch("/clues", { method: "POST", credentials: "same-origin", headers: headers, body: body });
  }
  function flush() {
    var list = pending();
    if (!list.length || !navigator.onLine) { return; }
    var item = list[0];
    send(item.body, item.csrf).then(function (r) {
      // Sent, or refused for good (bad input): either way it leaves the queue.
      if (r.ok || r.redirected || r.status === 422 || r.status === 403) {
        save(pending().slice(1));
        flush();
      }
    }).catch(function () {});
  }
  window.addEventListener("online", flush);
  flush();
  if (!form) { return; }
  var photos = document.getElementById("photos");
  var photoError = document.getElementById("photo-error");
  function photosOk() {
    var files = photos ? photos.files : [];
    var max = Number(form.getAttribute("data-max-photos"));
    var maxBytes = Number(form.getAttribute("data-max-bytes"));
    if (files.length > max) { return false; }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > maxBytes || files[i].type.indexOf("image/") !== 0) { return false; }
    }
    return true;
  }
  if (photos) {
    photos.addEventListener("change", function () { photoError.hidden = photosOk(); });
  }
  // The location is optional and asked for only when the reporter taps the button.
  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("latitude").value = p.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = p.coords.longitude.toFixed(6);
        document.getElementById("located").hidden = false;
      });
    });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!photosOk()) { photoError.hidden = false; return; }
    var data = new FormData(form);
    var text = new URLSearchParams();
    data.forEach(function (value, name) { if (typeof value === "string") { text.append(name, value); } });
    var csrf = form.querySelector("[name=csrf_token]").value;
    send(data, csrf).then(function (r) {
      if (r.redirected) { window.location.href = r.url; return; }
      return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () {
      var list = pending();
      list.push({ body: text.toString(), csrf: csrf });
      save(list);
      document.getElementById("queued").hidden = false;
      form.reset();
    });
  });
})();
