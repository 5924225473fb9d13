// Shots: the marshal's Shot form remembers its player and hole on this device (a group
// plays on, so the next shot is often the same hole), and the viewer's list plays one
// shot at a time. Delegated listeners: the host poll redraws cards.
(function () {
  "use strict";

  function key(form, name) {
    return "teecam-shot:" + location.pathname + ":" + form.dataset.camera + ":" + name;
  }

  function remember(form) {
    try {
      localStorage.setItem(key(form, "player"), form.querySelector("[data-shot-player]").value);
      localStorage.setItem(key(form, "hole"), form.querySelector("[data-shot-hole]").value);
    } catch (e) { /* private mode: nothing remembered */ }
  }

  function restore(root) {
    var forms = (root || document).querySelectorAll("[data-shot-form]");
    Array.prototype.forEach.call(forms, function (form) {
      try {
        var player = localStorage.getItem(key(form, "player"));
        var hole = localStorage.getItem(key(form, "hole"));
        var p = form.querySelector("[data-shot-player]"), h = form.querySelector("[data-shot-hole]");
        if (player !== null && !p.value) p.value = player;
        if (hole !== null && !h.value) h.value = hole;
      } catch (e) { /* nothing remembered */ }
    });
  }

  // Before htmx sends it (capture phase), so a tap without JavaScript's help is the same.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("[data-shot-form]");
    if (form) remember(form);
  }, true);
  // Both Shot forms of a card (its own and the phone panel's) share the values.
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-shot-form]");
    if (!form) return;
    remember(form);
    var twins = document.querySelectorAll('[data-shot-form][data-camera="' + form.dataset.camera + '"]');
    Array.prototype.forEach.call(twins, function (twin) {
      if (twin === form) return;
      twin.querySelector("[data-shot-player]").value = form.querySelector("[data-shot-player]").value;
      twin.querySelector("[data-shot-hole]").value = form.querySelector("[data-shot-hole]").value;
    });
  });
  document.addEventListener("DOMContentLoaded", function () { restore(document); });
  document.addEventListener("htmx:afterSettle", function (event) { restore(event.target); });

  // One shot plays at a time.
  document.addEventListener("play", function (event) {
    if (!event.target.classList || !event.target.classList.contains("shot-video")) return;
    Array.prototype.forEach.call(document.querySelectorAll("video.shot-video"), function (video) {
      if (video !== event.target && !video.paused) video.pause();
    });
  }, true);
})();
