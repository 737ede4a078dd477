// Row action menus: <div class="menu"><button class="menu-button" aria-haspopup="menu"
// aria-controls="ID" aria-expanded="false">…</button><ul id="ID" role="menu" hidden>…</ul></div>.
// Enter/Space/ArrowDown open and focus the first item, arrows/Home/End move, Escape closes and
// returns focus to the button, Tab or a click elsewhere closes. Event delegation keeps it working
// for rows that htmx swaps in later. An open list is fixed to the viewport next to its button (below and
// right-aligned when there is room, else above, else pinned inside the viewport), so the table's scrolling
// container cannot clip it; it follows the button when the page or the table scrolls or the window resizes.
(function () {
  "use strict";

  function items(list) {
    return Array.from(list.querySelectorAll('[role="menuitem"]'));
  }

  function listOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  var MARGIN = 8; // px kept free between an open list and the viewport's edges

  // Set via the CSSOM, which the Content-Security-Policy allows (it refuses style="" attributes only).
  function place(button, list) {
    var at = button.getBoundingClientRect();
    var width = document.documentElement.clientWidth;
    var height = document.documentElement.clientHeight;
    var w = list.offsetWidth;
    var h = list.offsetHeight;
    var left = Math.min(Math.max(MARGIN, at.right - w), width - w - MARGIN);
    var top = at.bottom + 4;
    if (top + h > height - MARGIN) top = at.top - 4 - h >= MARGIN ? at.top - 4 - h : Math.max(MARGIN, height - h - MARGIN);
    list.style.left = Math.max(MARGIN, left) + "px";
    list.style.top = top + "px";
  }

  function placeOpen() {
    document.querySelectorAll('.menu-button[aria-expanded="true"]').forEach(function (b) {
      var list = listOf(b);
      if (list && !list.hidden) place(b, list);
    });
  }

  function close(button, refocus) {
    var list = listOf(button);
    if (!list || list.hidden) return;
    list.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }

  function closeAll(except) {
    document.querySelectorAll('.menu-button[aria-expanded="true"]').forEach(function (b) {
      if (b !== except) close(b, false);
    });
  }

  function open(button, focusLast) {
    var list = listOf(button);
    closeAll(button);
    list.hidden = false;
    button.setAttribute("aria-expanded", "true");
    place(button, list);
    var all = items(list);
    if (all.length) all[focusLast ? all.length - 1 : 0].focus();
  }

  function move(list, current, step) {
    var all = items(list);
    var i = all.indexOf(current);
    all[(i + step + all.length) % all.length].focus();
  }

  // htmx keeps a copy of the page as HTML for the back button: a style="" attribute (what setting the position
  // leaves, even once cleared) would come back from it as inline style, which the Content-Security-Policy refuses.
  document.addEventListener("htmx:beforeHistorySave", function () {
    closeAll(null);
    document.querySelectorAll(".menu-list[style]").forEach(function (list) {
      list.removeAttribute("style");
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".menu-button");
    if (button) {
      if (button.getAttribute("aria-expanded") === "true") close(button, true);
      else open(button, false);
      return;
    }
    if (!event.target.closest(".menu-list")) closeAll(null);
  });

  // Capture: a scroll of any container (the table's wrap too) moves the button, so the list follows it.
  document.addEventListener("scroll", placeOpen, true);
  window.addEventListener("resize", placeOpen);

  document.addEventListener("keydown", function (event) {
    var button = event.target.closest(".menu-button");
    if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      open(button, event.key === "ArrowUp");
      return;
    }
    var list = event.target.closest(".menu-list");
    if (!list) return;
    var owner = document.querySelector('[aria-controls="' + list.id + '"]');
    switch (event.key) {
      case "ArrowDown": event.preventDefault(); move(list, event.target, 1); break;
      case "ArrowUp": event.preventDefault(); move(list, event.target, -1); break;
      case "Home": event.preventDefault(); items(list)[0].focus(); break;
      case "End": event.preventDefault(); items(list).slice(-1)[0].focus(); break;
      case "Escape": event.preventDefault(); close(owner, true); break;
      case "Tab": close(owner, false); break;
    }
  });
})();

// Column choosers (<details class="column-chooser">): a click elsewhere or Escape closes an open one,
// like the row menus; the summary element already opens and closes it by mouse and keyboard.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.column-chooser[open]").forEach(function (d) {
      if (!d.contains(event.target)) d.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = event.target.closest && event.target.closest("details.column-chooser[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
})();
