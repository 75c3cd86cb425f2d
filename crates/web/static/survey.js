// The assessor's survey survives a lost network (village assessors work where there is none).
// Every change is kept on the device until the server has it; a submission that cannot be sent
// is queued and sent when the network is back. The page's form_key makes a resend the same
// submission, so however often a phone sends it, the assessment is submitted once.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  var queueKey = "minsheng.pending-surveys";
  function read(key, empty) {
    try { return JSON.parse(localStorage.getItem(key) || empty); } catch (e) { return JSON.parse(empty); }
  }
  function write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full: the server copy stands */ }
  }
  function fields(f) {
    var text = new URLSearchParams();
    new FormData(f).forEach(function (value, name) { if (typeof value === "string") { text.append(name, value); } });
    return text;
  }
  function post(url, body, csrf) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    });
  }
  // Sends queued submissions in order; one that answers (done, or refused for good) leaves the
  // queue, one that cannot be sent waits for the next chance.
  var flushing = false;
  function flush() {
    var queue = read(queueKey, "[]");
    if (!queue.length || flushing) { return; }
    flushing = true;
    var item = queue[0];
    post(item.url, item.body, item.csrf).then(function (r) {
      flushing = false;
      var rest = read(queueKey, "[]").slice(1);
      write(queueKey, rest);
      if (r.redirected || r.ok) { localStorage.removeItem("minsheng.survey." + item.assessment); }
      if (form && String(item.assessment) === form.getAttribute("data-assessment")) {
        window.location.reload();
        return;
      }
      flush();
    }).catch(function () { flushing = false; });
  }
  window.addEventListener("online", flush);
  flush();
  if (!form) { return; }

  var id = form.getAttribute("data-assessment");
  var draftKey = "minsheng.survey." + id;
  var offline = document.getElementById("survey-offline");
  var own = { form_key: 1, version: 1, csrf_token: 1 };

  // What was typed here and never reached the server comes back into the form.
  var kept = read(draftKey, "null");
  if (kept && !kept.sent && kept.body) {
    new URLSearchParams(kept.body).forEach(function (value, name) {
      if (own[name]) { return; }
      var input = form.elements.namedItem(name);
      if (input && "value" in input) { input.value = value; }
    });
    if (offline) { offline.hidden = false; }
    if (window.htmx && navigator.onLine) { window.htmx.trigger(form, "change"); }
  }
  function keep(sent) { write(draftKey, { body: fields(form).toString(), sent: sent }); }
  form.addEventListener("input", function () { keep(false); });
  form.addEventListener("change", function () { keep(false); });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.elt === form && event.detail.successful) { keep(true); }
  });
  window.addEventListener("online", function () { if (window.htmx) { window.htmx.trigger(form, "change"); } });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.id !== "submit-assessment") { return; }
    event.preventDefault();
    keep(false);
    var url = button.getAttribute("formaction");
    var body = fields(form).toString();
    var csrf = form.querySelector("[name=csrf_token]").value;
    post(url, body, csrf).then(function (r) {
      if (r.redirected || r.ok) { localStorage.removeItem(draftKey); }
      if (r.redirected) { window.location.href = r.url; return; }
      return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () {
      var queue = read(queueKey, "[]");
      queue.push({ assessment: id, url: url, body: body, csrf: csrf });
      write(queueKey, queue);
      if (offline) { offline.hidden = false; }
    });
  });
})();
