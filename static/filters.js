// A table's filter form submits itself on every change (hx-trigger="change"), but its search box searches as
// you type instead: its own change event (fired when it loses focus) would send the same search a second time.
// Stopped here, in the capture phase, instead of by an hx-trigger filter, which htmx would have to eval (the
// Content-Security-Policy allows no eval).
(function () {
  "use strict";
  document.addEventListener(
    "change",
    function (event) {
      if (event.target.type === "search" && event.target.closest("form.filters")) event.stopPropagation();
    },
    true
  );
})();
