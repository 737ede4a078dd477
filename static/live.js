// Live updates and screen readers.
// - A page's flash messages (a command's result, after the form's redirect) are read out through the #announcer
//   live region (aria-live=polite): a status already on the page when it loads is not announced, so it is copied
//   in after.
// - An htmx swap that removed the focused control (the pairing panel's Cancel, once it has done its job) moves the
//   focus to the swapped region's heading instead of dropping it to the start of the page. Polls that morph
//   (hx-swap="morph") keep the focused element, so for them this never triggers.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var announcer = document.getElementById("announcer");
    var text = Array.from(document.querySelectorAll(".flashes .flash"), function (flash) {
      return flash.textContent.trim();
    }).join(" ");
    if (announcer && text) {
      setTimeout(function () {
        announcer.textContent = text;
      }, 250);
    }
  });

  var focusedIn = new WeakMap(); // request -> the swap target that held the focus when its answer arrived

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    if (target && active && active !== document.body && target.contains(active)) focusedIn.set(event.detail.xhr, target);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = focusedIn.get(event.detail.xhr);
    if (!target) return;
    focusedIn.delete(event.detail.xhr);
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    var region = target.isConnected ? target : target.id && document.getElementById(target.id);
    var heading = region && region.querySelector("h1, h2, h3");
    if (!heading) return;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  });
})();
