// Live reminders: the page listens to /live (Server-Sent Events) and shows each new inbox
// entry at once, as a message on the page and, where the user allowed it, a browser
// notification. EventSource reconnects by itself and sends the last id it saw, so the
// server replays what was missed.
(function () {
  "use strict";
  let source = null;

  function toast(note) {
    const box = document.getElementById("live");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast";
    item.dataset.notification = note.id;
    const link = document.createElement("a");
    link.href = note.url;
    link.textContent = note.text;
    item.appendChild(link);
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 15000);
  }

  function count() {
    const badge = document.getElementById("inbox-count");
    if (badge) badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1);
  }

  function notify(note) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const shown = new Notification(note.title, { body: note.text, tag: "crm-" + note.id });
    shown.onclick = function () { window.focus(); window.location.href = note.url; };
  }

  function connect() {
    const url = document.body.dataset.live;
    if (!url || source) return;
    source = new EventSource(url);
    source.addEventListener("notification", function (event) {
      const note = JSON.parse(event.data);
      toast(note);
      count();
      notify(note);
    });
  }

  document.addEventListener("DOMContentLoaded", connect);
  // Pages swapped in by htmx keep the one stream of this tab.
  document.addEventListener("htmx:afterSettle", function () {
    const button = document.getElementById("allow-notifications");
    if (button && !button.dataset.bound) bind(button);
  });

  function bind(button) {
    button.dataset.bound = "1";
    if (!("Notification" in window)) { button.disabled = true; return; }
    button.addEventListener("click", function () { Notification.requestPermission(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    const button = document.getElementById("allow-notifications");
    if (button) bind(button);
  });
})();
