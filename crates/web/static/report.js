// Clue reports survive a lost network: the form is sent with fetch; if that fails it is kept in
// localStorage and sent again when the phone is back online. The server treats the same
// client_key as one clue, so a resend never makes a duplicate.
(function () {
  "use strict";
  var form = document.getElementById("clue-form");
  var key = "minsheng.pending-clues";
  function pending() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(key, JSON.stringify(list)); }
  function send(body, csrf) {
    return fetch("/clues", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body: body
    });
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
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form)).toString();
    var csrf = form.querySelector("[name=csrf_token]").value;
    send(body, csrf).then(function (r) {
      if (r.redirected) { window.location.href = r.url; return; }
      return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () {
      var list = pending();
      list.push({ body: body, csrf: csrf });
      save(list);
      document.getElementById("queued").hidden = false;
      form.reset();
    });
  });
})();
