// Feedback and safety for forms.
// - A remote command on the charger page (a form with data-sending that htmx posts into #command-result, a
//   role=status area): say at once that it is on its way, and show the answer when it comes, a refused form (422)
//   included, which htmx would not swap by itself. Other failures (a lost connection, an error page) are said in
//   words there too. Its .send button is marked unavailable meanwhile (aria-disabled: a disabled button would drop
//   the keyboard's focus) and a press of it is ignored until the answer came. A poll that morphs the region the form
//   is in (the charger page's Stop, in the status every 2 s) leaves the form alone while its request is out (htmx
//   marks it .htmx-request): else the morph would copy the server's available button over the pending one.
//   Morphing keeps the focus, so the focused Stop stays focused too.
// - A plain form with data-confirm (Block, Reject, Remove, Disable...) asks first and is not sent unless confirmed;
//   once confirmed it says so (confirmed=yes), as the confirmation page does that the server shows without
//   JavaScript. It stays a plain POST, so what follows is what follows without JavaScript (a redirect, a flash);
//   htmx's hx-confirm only asks before requests htmx itself sends, as the charger page's Hard reset does.
(function () {
  "use strict";

  function say(text, kind) {
    var area = document.getElementById("command-result");
    if (!area) return;
    var p = document.createElement("p");
    p.className = "flash " + kind;
    p.textContent = text;
    area.replaceChildren(p);
  }

  if (window.Idiomorph) {
    var morphed = Idiomorph.defaults.callbacks.beforeNodeMorphed;
    Idiomorph.defaults.callbacks.beforeNodeMorphed = function (node, incoming) {
      if (node.nodeType === Node.ELEMENT_NODE && node.matches("form.htmx-request")) return false;
      return morphed(node, incoming);
    };
  }

  function isCommand(detail) {
    return Boolean(detail.target) && detail.target.id === "command-result";
  }

  function pending(form, yes) {
    form.querySelectorAll(".send").forEach(function (button) {
      if (yes) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var sending = event.detail.elt.getAttribute("data-sending");
    if (!sending || !isCommand(event.detail)) return;
    say(sending, "command-pending");
    pending(event.detail.elt, true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-sending")) pending(event.detail.elt, false);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isCommand(event.detail) && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (!isCommand(event.detail)) return;
    var xhr = event.detail.xhr;
    say(xhr.status === 403
      ? "You may not send this command, or your sign-in has ended: reload the page."
      : "The back office answered " + xhr.status + " " + xhr.statusText + "; the command may not have been sent.",
      "flash-error");
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (isCommand(event.detail)) say("The back office could not be reached; the command may not have been sent.", "flash-error");
  });

  // Capturing, on the document: a press of a pending command is stopped before htmx (on the form) sees it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.querySelector(".send[aria-disabled=true]")) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (!question) return;
    if (!window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!form.querySelector("input[name=confirmed]")) {
      var said = document.createElement("input");
      said.type = "hidden";
      said.name = "confirmed";
      said.value = "yes";
      form.appendChild(said);
    }
  }, true);
})();
