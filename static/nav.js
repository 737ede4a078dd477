// The top bar's menu button: on a narrow screen it shows and hides the navigation and the account links.
// The "js" class on <html> (set here, before the body exists, so nothing flashes) lets the stylesheet fold the
// menu away only when this script runs; without it the menu simply stays open. Escape closes the open menu
// and returns focus to the button.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.closest(".topbar").classList.toggle("nav-open", open);
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".nav-toggle");
    if (toggle) setOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var bar = event.target.closest(".topbar.nav-open");
    if (!bar) return;
    var toggle = bar.querySelector(".nav-toggle");
    setOpen(toggle, false);
    toggle.focus();
  });
})();
