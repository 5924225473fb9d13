// The host page's small behaviours: Copy and Show buttons, the RTSP-only
// field, and keyboard focus that lands somewhere meaningful after every HTMX swap.
(function () {
  "use strict";

  function fallbackCopy(input) {
    var type = input.type;
    input.type = "text"; // a password field cannot be selected for copying
    input.focus();
    input.select();
    var done = document.execCommand("copy");
    input.type = type;
    return done;
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy-target]");
    if (copy) {
      var input = document.querySelector(copy.dataset.copyTarget);
      var result = copy.closest(".link-box") && copy.closest(".link-box").querySelector(".copy-result");
      var say = function (text) { if (result) result.textContent = text; };
      var failed = "Copy failed: select the text and copy it.";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(
          function () { say("Copied to the clipboard."); },
          function () { say(fallbackCopy(input) ? "Copied to the clipboard." : failed); }
        );
      } else {
        say(fallbackCopy(input) ? "Copied to the clipboard." : failed);
      }
      return;
    }
    var reveal = event.target.closest("[data-reveal]");
    if (reveal) {
      var field = document.querySelector(reveal.dataset.reveal);
      var shown = field.type === "password";
      field.type = shown ? "text" : "password";
      reveal.textContent = shown ? "Hide" : "Show";
      reveal.setAttribute("aria-pressed", shown ? "true" : "false");
    }
  });

  // The camera URL matters only for the RTSP source.
  function showForSource(select) {
    var form = select.closest("form");
    if (!form) return;
    form.querySelectorAll("[data-only-for-source]").forEach(function (part) {
      part.hidden = part.dataset.onlyForSource !== select.value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-source-select]")) showForSource(event.target);
  });

  function prepare(root) {
    root.querySelectorAll("[data-source-select]").forEach(showForSource);
  }

  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  document.addEventListener("htmx:load", function (event) { prepare(event.detail.elt); });

  // After an action, the server marks what should have focus: the new state's heading,
  // the new link, the error. Without a mark, the notice; never <body>.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "host-console") return;
    var next = target.querySelector("[data-focus]") || target.querySelector(".notice-ok, .error");
    if (next) next.focus();
  });

  // The poll replaces a camera's card when its state changes: if focus was inside it,
  // it moves to the card's heading instead of falling to <body>.
  var focusedCard = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var old = event.detail.target;
    focusedCard = old && old.contains(document.activeElement) ? old.id : focusedCard;
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    if (!focusedCard) return;
    var card = document.getElementById(focusedCard);
    focusedCard = null;
    if (card && (document.activeElement === document.body || !document.activeElement)) {
      var heading = card.querySelector("h2[tabindex]");
      if (heading) heading.focus();
    }
  });
})();
