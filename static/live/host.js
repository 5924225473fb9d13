// The Copy button beside a minted viewer link.
(function () {
  "use strict";

  function fallbackCopy(input) {
    input.focus();
    input.select();
    return document.execCommand("copy");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.querySelector(button.dataset.copyTarget);
    var result = button.parentElement.querySelector(".copy-result");
    function say(text) { if (result) result.textContent = text; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { say("Copied to the clipboard."); },
        function () { say(fallbackCopy(input) ? "Copied to the clipboard." : "Copy failed: select the link and copy it."); }
      );
    } else {
      say(fallbackCopy(input) ? "Copied to the clipboard." : "Copy failed: select the link and copy it.");
    }
  });
})();
