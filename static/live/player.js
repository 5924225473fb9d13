// Plays every <video data-hls-src> on the page: hls.js where Media Source
// Extensions work, the browser's own HLS otherwise. hls.js is tried first
// because Chromium also claims native HLS support.
//
// Inside a .player (the viewer page) it also drives the overlays: the Unmute
// button, the buffering spinner, the Live / Behind live badge with Go live, and
// the poster. The host preview is a bare <video> and gets playback only.
(function () {
  "use strict";

  // Behind the live sync point by more than this (seconds), the badge says so.
  var BEHIND_LIVE_SECONDS = 6;
  // A camera that has not sent its first segment yet answers 404 on the playlist:
  // ask again after 1 s, 2 s, 4 s, then every 5 s while the page shows the video.
  var RETRY_DELAYS_MS = [1000, 2000, 4000, 5000];

  function attach(video) {
    if (video.dataset.attached) return;
    video.dataset.attached = "1";
    // A thumbnail when the page has one; otherwise the camera's name on the dark
    // backdrop, so the box is never a black void before the first picture.
    if (video.dataset.poster) video.poster = video.dataset.poster;
    else if (video.dataset.cameraName) video.poster = namePoster(video.dataset.cameraName);
    setUpPlayer(video);
    if (window.Hls && window.Hls.isSupported()) {
      startHls(video, 0);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      startNative(video);
    }
    video.addEventListener("playing", function () { reportJoin(video); });
    play(video);
  }

  function namePoster(name) {
    var text = name.replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
    var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='1600' height='900'>" +
      "<defs><radialGradient id='g' cx='50%' cy='42%' r='75%'><stop offset='0' stop-color='#24523a'/>" +
      "<stop offset='.6' stop-color='#10271a'/><stop offset='1' stop-color='#0a1a11'/></radialGradient></defs>" +
      "<rect width='1600' height='900' fill='url(#g)'/>" +
      "<text x='800' y='400' text-anchor='middle' fill='#e8f0ea' font-size='72' font-weight='600' " +
      "font-family='system-ui, -apple-system, Segoe UI, Roboto, sans-serif'>" + text + "</text></svg>";
    return "data:image/svg+xml," + encodeURIComponent(svg);
  }

  function play(video) {
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  }

  function inDocument(video) {
    return video.isConnected && !video.dataset.detached;
  }

  function retryDelay(failures) {
    return RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length - 1)];
  }

  function isManifestFailure(details) {
    var D = window.Hls.ErrorDetails;
    return details === D.MANIFEST_LOAD_ERROR || details === D.MANIFEST_LOAD_TIMEOUT ||
      details === D.MANIFEST_PARSING_ERROR;
  }

  // Rewinding plays the long dvr.m3u8 (the whole rewind window); the live edge plays
  // the short index.m3u8, so a viewer at the edge never polls the long one.
  function rewinding(video) {
    return video.dataset.mode === "dvr" && !!video.dataset.hlsDvr;
  }

  function startHls(video, failures) {
    var Hls = window.Hls;
    var edge = !rewinding(video);
    var hls = new Hls({
      liveDurationInfinity: true,
      // Measured by bench/ingest.py: hls.js's defaults sit 3-4.7 s behind the
      // camera with 1-s segments; this holds 2-3 s with no stalls.
      liveSyncDuration: 1.5,
      // At the edge hls.js catches up when it falls behind; rewound, it must not.
      liveMaxLatencyDuration: edge ? 4 : Infinity,
      maxLiveSyncPlaybackRate: edge ? 1.2 : 1,
      // With an adaptive ladder (master.m3u8): start on a rung that fits the player
      // and let ABR move down on a slow network.
      capLevelToPlayerSize: true,
      startLevel: -1,
      // Media URLs are signed for about a minute and re-signed on every poll:
      // each request goes out under the newest signature.
      xhrSetup: function (xhr, requestUrl) {
        xhr.open("GET", resign(requestUrl, video.dataset.hlsSrc), true);
      },
    });
    video._hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, function () { play(video); });
    if (edge && !video.dataset.replaySrc) {
      // The camera's playlist ended (#EXT-X-ENDLIST after Stop): ask the page's poll now
      // rather than at its next tick, so the page says so within seconds.
      hls.on(Hls.Events.LEVEL_UPDATED, function (event, data) {
        if (data.details && !data.details.live) askWhereNow();
      });
    }
    hls.on(Hls.Events.ERROR, function (event, data) {
      if (video._hls !== hls) return;
      // A live playlist that went missing (404 after Stop) also prompts the poll.
      if (!data.fatal) {
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR && !video.dataset.replaySrc) askWhereNow();
        return;
      }
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && !isManifestFailure(data.details)) {
        // A playlist or segment that failed mid-stream: carry on from where it was,
        // after a pause so a camera that is gone is not asked in a tight loop.
        video._retry = setTimeout(function () {
          if (video._hls === hls && inDocument(video)) hls.startLoad();
        }, RETRY_DELAYS_MS[0]);
        askWhereNow();
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        // hls.js gives up on a playlist that is not there yet (the camera has not
        // sent its first segment) and startLoad() does not ask again: start over.
        hls.destroy();
        video._hls = null;
        video._retry = setTimeout(function () {
          if (inDocument(video) && !video._hls) startHls(video, failures + 1);
        }, retryDelay(failures));
      }
    });
    if (!edge && video._rewindTo) seekFromEdgeWhenReady(video, hls);
    // The master playlist when the camera has a ladder; its signature covers the rungs.
    var source = edge ? video.dataset.hlsMaster || video.dataset.hlsSrc
      : resign(video.dataset.hlsDvr, video.dataset.hlsSrc);
    hls.loadSource(source);
    hls.attachMedia(video);
  }

  // Safari: the same retry for its own HLS, which fires "error" on a missing playlist.
  function startNative(video) {
    var failures = 0;
    video.addEventListener("error", function () {
      clearTimeout(video._retry);
      video._retry = setTimeout(function () {
        if (!inDocument(video)) return;
        video.src = video.dataset.hlsSrc;
        play(video);
      }, retryDelay(failures++));
    });
    video.addEventListener("playing", function () { failures = 0; });
    video.src = video.dataset.hlsSrc;
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

  // The page's poll, asked at once, says where the camera is now: with several media
  // hosts its media moves when its host dies (docs/scaling.md), and after Stop it has
  // ended. At most once every 5 s; a prompt inside that is asked when the 5 s are up.
  var ASK_EVERY_MS = 5000;
  var lastAsked = 0;
  var askLater = null;
  function askWhereNow() {
    var wait = lastAsked + ASK_EVERY_MS - Date.now();
    if (wait > 0) {
      if (!askLater) askLater = setTimeout(function () { askLater = null; askWhereNow(); }, wait);
      return;
    }
    lastAsked = Date.now();
    document.dispatchEvent(new CustomEvent("teecam:media-lost"));
  }

  // The part of a media URL before /hls/: which media host serves it.
  function mediaHost(url) {
    var href = new URL(url, location.href).href;
    return href.slice(0, href.indexOf("/hls/"));
  }

  // The viewer page's poll hands over a freshly signed playlist path.
  document.addEventListener("teecam:hls-path", function (event) {
    document.querySelectorAll("video[data-hls-src]").forEach(function (video) {
      var old = video.dataset.hlsSrc;
      video.dataset.hlsSrc = event.detail.path;
      if (event.detail.masterPath) video.dataset.hlsMaster = event.detail.masterPath;
      // Another host has the camera now: its playlist starts afresh, so start over.
      if (video._hls && mediaHost(old) !== mediaHost(event.detail.path)) {
        clearTimeout(video._retry);
        video._hls.destroy();
        video._hls = null;
        startHls(video, 0);
        return;
      }
      // Native HLS cannot re-sign each request: reload before the URL lapses.
      if (!video._hls && video.dataset.attached && expiresWithin(old, 30)) {
        video.src = event.detail.path;
        video.play().catch(function () {});
      }
    });
  });

  function detach(video) {
    video.dataset.detached = "1";
    clearTimeout(video._retry);
    clearInterval(video._badgeTimer);
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

  // The overlays of a .player: state lives in data attributes that player.css shows.
  function setUpPlayer(video) {
    var player = video.closest(".player");
    if (!player) return;
    var buffering = player.querySelector("[data-buffering]");
    var unmute = player.querySelector("[data-unmute]");
    var showBuffering = null;

    function setBuffering(on) {
      clearTimeout(showBuffering);
      if (!buffering) return;
      if (!on) {
        buffering.textContent = "";
        player.removeAttribute("data-is-buffering");
        return;
      }
      // A stall shorter than this is not worth a spinner (nor an announcement).
      showBuffering = setTimeout(function () {
        player.setAttribute("data-is-buffering", "");
        buffering.textContent = "Buffering…";
      }, 300);
    }

    video.addEventListener("waiting", function () { setBuffering(true); });
    video.addEventListener("stalled", function () { if (!video.paused) setBuffering(true); });
    if (!video.dataset.replaySrc) {
      // A live picture that stalls (or ends) may mean the broadcast stopped: ask at once
      // (at most every 5 s). Not the first buffering of a page that has not played yet.
      video.addEventListener("waiting", function () {
        if (player.hasAttribute("data-started") && inDocument(video)) askWhereNow();
      });
      video.addEventListener("ended", askWhereNow);
    }
    video.addEventListener("playing", function () {
      player.setAttribute("data-started", "");
      setBuffering(false);
    });
    video.addEventListener("pause", function () { setBuffering(false); updateBadge(video); });
    video.addEventListener("volumechange", function () {
      if (unmute) unmute.hidden = !video.muted;
    });
    video.addEventListener("timeupdate", function () { updateBadge(video); });
    // The live edge moves while the video is paused too.
    video._badgeTimer = setInterval(function () {
      if (!video.isConnected) clearInterval(video._badgeTimer);
      else updateBadge(video);
    }, 1000);
  }

  // Where "live" is: hls.js knows its sync point; native HLS, the end of what can be sought.
  function livePosition(video) {
    if (video._hls) return video._hls.liveSyncPosition;
    var seekable = video.seekable;
    if (seekable && seekable.length) return Math.max(seekable.end(seekable.length - 1) - 3, 0);
    return null;
  }

  function updateBadge(video) {
    var player = video.closest(".player");
    if (!player || !player.hasAttribute("data-started")) return;
    var back = player.querySelector("[data-rewind]");
    if (back) back.hidden = !video.dataset.hlsDvr;
    var live = livePosition(video);
    var behind = video.paused ||
      (live !== null && live !== undefined && live - video.currentTime > BEHIND_LIVE_SECONDS);
    if (behind === player.hasAttribute("data-behind")) return;
    player.toggleAttribute("data-behind", behind);
    var label = player.querySelector("[data-live-badge] strong");
    if (label) label.textContent = behind ? "Behind live" : "Live";
    var goLive = player.querySelector("[data-go-live]");
    if (goLive) goLive.hidden = !behind && !rewinding(video);
  }

  function restart(video) {
    if (video._hls) video._hls.destroy();
    video._hls = null;
    startHls(video, 0);
    play(video);
  }

  // How far behind the end of what can be sought the picture is (seconds), or null.
  function behindEdge(video) {
    var seekable = video.seekable;
    if (!seekable || !seekable.length) return null;
    return Math.max(0, seekable.end(seekable.length - 1) - video.currentTime);
  }

  function seekToBehind(video, behind) {
    var seekable = video.seekable;
    var end = seekable.end(seekable.length - 1);
    video.currentTime = Math.max(seekable.start(0), end - behind);
    updateBadge(video);
  }

  // The rewind player starts at the live edge of the long playlist; once hls.js has
  // told the video what can be sought, go back to where the viewer asked to be.
  function seekFromEdgeWhenReady(video, hls) {
    var tries = 0;
    function attempt() {
      if (video._hls !== hls || !video._rewindTo) return;
      if (video.readyState >= 1 && behindEdge(video) !== null) {
        var behind = video._rewindTo;
        video._rewindTo = null;
        seekToBehind(video, behind);
      } else if (tries++ < 300) { // 30 s for a slow network
        setTimeout(attempt, 100);
      }
    }
    attempt();
  }

  // Each press goes 30 s further back from where the picture is now.
  function rewind(video) {
    var behind = behindEdge(video) || 0;
    if (rewinding(video)) {
      if (video._rewindTo) video._rewindTo += 30; // pressed again before the first seek
      else seekToBehind(video, behind + 30);
      return;
    }
    video.dataset.mode = "dvr";
    video._rewindTo = behind + 30;
    restart(video);
  }

  function goLive(video) {
    if (rewinding(video)) {
      video.dataset.mode = "live";
      restart(video);
      return;
    }
    var live = livePosition(video);
    if (live !== null && live !== undefined) video.currentTime = live;
    play(video);
  }

  // The replay is offered, not played: it starts (with sound) when the viewer asks.
  function playReplay(button) {
    var video = document.querySelector(button.dataset.playReplay);
    if (!video) return;
    var player = video.closest(".player");
    if (player) player.hidden = false;
    button.hidden = true;
    video.dataset.hlsSrc = video.dataset.replaySrc;
    video.muted = false;
    attach(video);
    video.focus();
  }

  document.addEventListener("click", function (event) {
    var offer = event.target.closest("[data-play-replay]");
    if (offer) { playReplay(offer); return; }
    var button = event.target.closest("[data-unmute], [data-go-live], [data-rewind]");
    if (!button) return;
    var video = button.closest(".player") && button.closest(".player").querySelector("video");
    if (button.dataset.unmute) video = document.querySelector(button.dataset.unmute) || video;
    if (!video) return;
    if (button.hasAttribute("data-go-live")) {
      goLive(video);
      video.focus();
      return;
    }
    if (button.hasAttribute("data-rewind")) {
      rewind(video);
      return;
    }
    video.muted = false;
    play(video);
    button.hidden = true;
    // The button is gone: keep the keyboard on the player, not on <body>.
    video.focus();
  });

  function scan(root) {
    if (root.matches && root.matches("video[data-hls-src]")) attach(root);
    root.querySelectorAll("video[data-hls-src]").forEach(attach);
  }

  // The viewer page swaps #viewer-state whole when the camera's state changes or
  // another camera is chosen. Focus inside it would fall back to <body>: move it to
  // the new heading (the swapped-in live region says it to everyone else).
  var focusWasInside = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "viewer-state") {
      focusWasInside = target.contains(document.activeElement);
    }
  });

  function afterViewerSwap(region) {
    var heading = region.querySelector("[data-state-heading]");
    var lost = !document.activeElement || document.activeElement === document.body;
    if (focusWasInside && lost && heading) heading.focus({ preventScroll: true });
    focusWasInside = false;
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    scan(elt);
    if (elt.id === "viewer-state") afterViewerSwap(elt);
  });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var elt = event.detail.elt;
    if (elt.matches && elt.matches("video[data-hls-src]")) detach(elt);
    else if (elt.querySelectorAll) elt.querySelectorAll("video[data-hls-src]").forEach(detach);
  });
})();
