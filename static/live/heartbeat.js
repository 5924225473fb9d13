// Tells the server that this viewer page is still watching, for "watching now"
// on the host page: a heartbeat every data-heartbeat-seconds while a video plays
// and the page is visible, and a leave report on pagehide (navigator.sendBeacon,
// which survives the page going away). A page that vanishes without pagehide
// (a crash, a lost network) drops out once its last heartbeat is older than the
// server's window. The first heartbeat is the join player.js sends on `playing`.
(function () {
  "use strict";

  var config = document.currentScript.dataset;
  var intervalMs = Math.max(1, Number(config.heartbeatSeconds) || 20) * 1000;
  var reported = null; // the camera this page last counted as watching, or null
  var lastSent = 0;

  function playingVideo() {
    var videos = document.querySelectorAll("video[data-hls-src]");
    for (var i = 0; i < videos.length; i++) {
      var video = videos[i];
      if (!video.paused && !video.ended && video.readyState > 2) return video;
    }
    return null;
  }

  function report(camera) {
    var viewer = document.getElementById("viewer");
    if (!viewer) return null;
    var body = new FormData();
    body.append("token", viewer.dataset.token);
    body.append("viewer", viewer.dataset.viewerId);
    body.append("camera", camera);
    return body;
  }

  function beat(camera) {
    var body = report(camera);
    if (!body) return;
    reported = camera;
    lastSent = Date.now();
    fetch(config.heartbeatUrl, { method: "POST", body: body, credentials: "omit" })
      .catch(function () { lastSent = 0; });
  }

  function leave(camera) {
    var body = report(camera);
    if (!body) return;
    if (!(navigator.sendBeacon && navigator.sendBeacon(config.leaveUrl, body))) {
      fetch(config.leaveUrl, { method: "POST", body: body, credentials: "omit", keepalive: true })
        .catch(function () {});
    }
  }

  function due() {
    return Date.now() - lastSent >= intervalMs;
  }

  function tick() {
    if (document.visibilityState !== "visible") return;
    var video = playingVideo();
    if (!video) return;
    var camera = video.dataset.camera || "";
    if (reported !== null && reported !== camera) leave(reported);
    if (reported !== camera || due()) beat(camera);
  }

  // `playing` does not bubble: listen in the capture phase.
  document.addEventListener("playing", function (event) {
    var camera = event.target.dataset ? event.target.dataset.camera || "" : "";
    if (reported === null) {
      // player.js joins now, which counts as this page's first heartbeat.
      reported = camera;
      lastSent = Date.now();
    } else {
      tick();
    }
  }, true);
  document.addEventListener("visibilitychange", tick);
  // A short tick, so a heartbeat goes out on time whatever the interval.
  setInterval(tick, Math.min(1000, intervalMs));

  window.addEventListener("pagehide", function () {
    if (reported === null) return;
    leave(reported);
    // Back from the back/forward cache: the next tick counts the page again.
    lastSent = 0;
  });
})();
