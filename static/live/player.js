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
      var hls = new window.Hls({
        liveDurationInfinity: true,
        // Measured by bench/ingest.py: hls.js's defaults sit 3-4.7 s behind the
        // camera with 1-s segments; this holds 2-3 s with no stalls.
        liveSyncDuration: 1.5,
        liveMaxLatencyDuration: 4,
        maxLiveSyncPlaybackRate: 1.2,
        // Media URLs are signed for about a minute and re-signed on every poll:
        // each request goes out under the newest signature.
        xhrSetup: function (xhr, requestUrl) {
          xhr.open("GET", resign(requestUrl, video.dataset.hlsSrc), true);
        },
      });
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

  var SIGNED = /^(.*\/hls\/)[^/]+\/[0-9]+\/(.*)$/;

  // The same file under the signature and expiry of the newest signed URL.
  function resign(requestUrl, newestUrl) {
    var request = SIGNED.exec(requestUrl);
    var newest = SIGNED.exec(new URL(newestUrl, location.href).href);
    if (!request || !newest) return requestUrl;
    var prefix = newest[0].slice(0, newest[0].length - newest[2].length);
    return prefix + request[2];
  }

  function expiresWithin(url, seconds) {
    var match = /\/hls\/[^/]+\/([0-9]+)\//.exec(url);
    return match && Number(match[1]) - Date.now() / 1000 < seconds;
  }

  // The viewer page's poll hands over a freshly signed playlist path.
  document.addEventListener("teecam:hls-path", function (event) {
    document.querySelectorAll("video[data-hls-src]").forEach(function (video) {
      var old = video.dataset.hlsSrc;
      video.dataset.hlsSrc = event.detail.path;
      // Native HLS cannot re-sign each request: reload before the URL lapses.
      if (!video._hls && video.dataset.attached && expiresWithin(old, 30)) {
        video.src = event.detail.path;
        video.play().catch(function () {});
      }
    });
  });

  function detach(video) {
    if (video._hls) {
      video._hls.destroy();
      video._hls = null;
    }
    video.removeAttribute("src");
    video.load();
  }

  // Tells the server that playback really started: it registers this page as a
  // viewer of the broadcast, which also lets it watch on past the link's expiry.
  // Once per camera: switching cameras joins that camera's broadcast.
  function reportJoin(video) {
    var viewer = document.getElementById("viewer");
    var camera = video.dataset.camera || "";
    if (!viewer || viewer.dataset.joined === camera + "|" + video.dataset.hlsSrc.split("/")[4]) return;
    viewer.dataset.joined = camera + "|" + video.dataset.hlsSrc.split("/")[4];
    var body = new FormData();
    body.append("token", viewer.dataset.token);
    body.append("viewer", viewer.dataset.viewerId);
    body.append("camera", camera);
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
