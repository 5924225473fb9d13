// On a phone the badge and buttons over the picture fade after a few seconds without a
// touch, as video players do; a touch, a tap or keyboard focus brings them back. They
// never fade while paused, or while focus is inside them (keyboard users).
(function () {
  "use strict";

  var IDLE_MS = 3000;
  var timers = new WeakMap();

  function player(target) {
    return target && target.closest ? target.closest(".player") : null;
  }

  function wake(box) {
    box.classList.remove("controls-idle");
    clearTimeout(timers.get(box));
    timers.set(box, setTimeout(function () { rest(box); }, IDLE_MS));
  }

  function rest(box) {
    var video = box.querySelector("video");
    if (!video || video.paused || box.contains(document.activeElement)) return;
    box.classList.add("controls-idle");
  }

  ["touchstart", "pointerdown", "pointermove", "focusin", "keydown"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var box = player(event.target);
      if (box) wake(box);
    }, { passive: true });
  });
  document.addEventListener("playing", function (event) {
    var box = player(event.target);
    if (box) wake(box);
  }, true);
  document.addEventListener("pause", function (event) {
    var box = player(event.target);
    if (box) box.classList.remove("controls-idle");
  }, true);
})();
