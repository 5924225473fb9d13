// Plays every <video data-hls-src> on the page: hls.js where Media Source
// Extensions work, the browser's own HLS otherwise. hls.js is tried first
// because Chromium also claims native HLS support.
(function () {
  "use strict";

  function attach(video) {
    if (video.dataset.attached) return;
    video.dataset.attached = "1";
    var url = video.dataset.hlsSrc;
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ liveDurationInfinity: true });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      video._hls = hls;
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
    }
    video.addEventListener("playing", function () { reportJoin(video); });
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  }

  function detach(video) {
    if (video._hls) {
      video._hls.destroy();
      video._hls = null;
    }
    video.removeAttribute("src");
    video.load();
  }

  // Tells the server once per page view that playback really started.
  function reportJoin(video) {
    var viewer = document.getElementById("viewer");
    if (!viewer || viewer.dataset.joined) return;
    viewer.dataset.joined = "1";
    var body = new FormData();
    body.append("token", viewer.dataset.token);
    body.append("viewer", viewer.dataset.viewerId);
    fetch(viewer.dataset.joinUrl, { method: "POST", body: body, credentials: "omit" })
      .catch(function () { delete viewer.dataset.joined; });
  }

  function scan(root) {
    root.querySelectorAll("video[data-hls-src]").forEach(attach);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-unmute]");
    if (!button) return;
    var video = document.querySelector(button.dataset.unmute);
    if (!video) return;
    video.muted = !video.muted;
    if (!video.muted) video.play();
    button.textContent = video.muted ? "Unmute" : "Mute";
  });

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var elt = event.detail.elt;
    if (elt.matches && elt.matches("video[data-hls-src]")) detach(elt);
    else if (elt.querySelectorAll) elt.querySelectorAll("video[data-hls-src]").forEach(detach);
  });
})();
