// "Broadcast from this device": a host card's panel sends this device's camera over
// WHIP (whip.js). The poll and every action redraw the cards, so what a camera's
// publisher holds (stream, session, timers) lives here, keyed by the camera, and each
// redrawn panel is bound to it again.
(function () {
  "use strict";

  var publishers = {}; // camera slug -> its state
  var RETRY_FIRST_MS = 12000; // a reloaded page's old session may hold the camera this long
  var DROP_GRACE_MS = 3000; // "disconnected" often heals by itself within a second or two

  function panelOf(slug) { return document.querySelector('[data-publish][data-camera="' + slug + '"]'); }
  function part(panel, name) { return panel.querySelector("[data-publish-" + name + "]"); }
  function supported() { return !!(window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia); }

  function sending(st) { return st.phase === "connecting" || st.phase === "live" || st.phase === "reconnecting"; }

  function stateOf(slug) {
    if (!publishers[slug]) publishers[slug] = { slug: slug, phase: "off", text: "Not sending from this device.", error: false, height: "720", deviceId: "" };
    return publishers[slug];
  }

  function announce(text) {
    var region = document.getElementById("publish-announce");
    if (region) region.textContent = text;
  }

  // The panel's state line; changes are also said once in the page's live region.
  function say(st, phase, text, error) {
    st.phase = phase;
    st.text = text;
    st.error = !!error;
    var panel = panelOf(st.slug);
    if (panel) announce(panel.dataset.cameraName + ": " + text);
    render(st);
  }

  function render(st) {
    var panel = panelOf(st.slug);
    if (!panel) return;
    var busy = sending(st) || st.phase === "starting";
    var line = part(panel, "state");
    line.textContent = st.text;
    line.classList.toggle("error", st.error);
    line.classList.toggle("publish-live", st.phase === "live");
    part(panel, "go").hidden = busy;
    part(panel, "camera").hidden = busy || !!st.stream;
    part(panel, "off").hidden = busy || !st.stream;
    part(panel, "stop").hidden = part(panel, "stop-help").hidden = !sending(st);
    part(panel, "stats").hidden = st.phase !== "live";
    var shot = part(panel, "shot"); // the marshal's Shot button, while this device sends
    if (shot) shot.hidden = st.phase !== "live";
    var video = part(panel, "preview");
    video.hidden = !st.stream;
    if (video.srcObject !== (st.stream || null)) video.srcObject = st.stream || null;
    part(panel, "device").value = st.deviceId;
    part(panel, "resolution").value = st.height;
  }

  function listDevices(st) {
    return window.deviceCamera.videoInputs().then(function (devices) {
      st.devices = devices;
      var track = st.stream && st.stream.getVideoTracks()[0];
      st.deviceId = (track && track.getSettings().deviceId) || st.deviceId;
      fillDevices(st);
    });
  }

  function fillDevices(st) {
    var panel = panelOf(st.slug);
    if (!panel || !st.devices) return;
    var select = part(panel, "device");
    select.textContent = "";
    st.devices.forEach(function (device, index) {
      select.add(new Option(device.label || "Camera " + (index + 1), device.deviceId));
    });
    select.value = st.deviceId;
  }

  // Opens (or re-opens, after a change of camera or resolution) the camera; while
  // sending, the new picture replaces the old one in the same session.
  function openCamera(st) {
    return window.deviceCamera.open(st.height, st.deviceId)
      .then(function (stream) {
        var old = st.stream;
        st.stream = stream;
        if (st.session) {
          st.session.pc.getSenders().forEach(function (sender) {
            var next = sender.track && stream.getTracks().filter(function (t) { return t.kind === sender.track.kind; })[0];
            if (next) sender.replaceTrack(next);
            var params = sender.getParameters();
            if (next && next.kind === "video" && params.encodings && params.encodings[0]) {
              params.encodings[0].maxBitrate = window.whipMaxBitrate[st.height]; // the new size's cap
              sender.setParameters(params).catch(function () {});
            }
          });
        }
        if (old) old.getTracks().forEach(function (track) { track.stop(); });
        render(st);
        return listDevices(st);
      });
  }

  // Starts the camera's broadcast through the card's own start action (an htmx swap of
  // the console, as if its Start button were pressed) unless it is already on air.
  function startBroadcast(st) {
    var panel = panelOf(st.slug);
    if (panel.dataset.onAir === "true") return Promise.resolve(true);
    return htmx.ajax("POST", panel.dataset.startUrl, {
      source: panel, target: "#host-console", swap: "innerHTML",
      values: { camera: st.slug, source: panel.dataset.source },
    }).then(function () {
      var fresh = panelOf(st.slug);
      return !!fresh && fresh.dataset.onAir === "true";
    });
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // POSTs until it works or `deadline` passes: a 409 or no answer is retried (the old
  // session is still ending, or the network is still coming back); anything else is final.
  function publish(st, deadline, attempt) {
    var panel = panelOf(st.slug);
    var options = { maxBitrate: window.whipMaxBitrate[st.height] };
    return window.whipPublish(panel.dataset.whipUrl, part(panel, "key").value, st.stream, options)
      .catch(function (error) {
        // "conflict": our old session still holds the camera until the server ends it.
        var again = (error.code === "conflict" || error.status === 0) && Date.now() < deadline && st.phase !== "off";
        if (!again) throw error;
        return wait(Math.min(1000 * Math.pow(2, attempt || 0), 5000)).then(function () {
          return publish(st, deadline, (attempt || 0) + 1);
        });
      })
      .then(function (session) {
        if (st.phase === "off") { session.close(); throw { name: "Stopped" }; } // stopped meanwhile
        st.session = session;
        session.pc.addEventListener("connectionstatechange", function () { watch(st, session); });
        watch(st, session);
        return session;
      });
  }

  function watch(st, session) {
    if (st.session !== session) return;
    var state = session.pc.connectionState;
    if (state === "connected") {
      st.reconnectUntil = null;
      if (st.phase !== "live") say(st, "live", "Live from this device.");
      keepAwake(st);
    } else if (state === "failed" || state === "closed") {
      reconnect(st); // "closed" while still ours: the server ended it (its watchdog)
    } else if (state === "disconnected") {
      setTimeout(function () {
        if (st.session === session && session.pc.connectionState === "disconnected") reconnect(st);
      }, DROP_GRACE_MS);
    }
  }

  // A new session within the reconnect window continues the same broadcast.
  function reconnect(st) {
    if (st.phase === "reconnecting" || !st.session) return;
    var panel = panelOf(st.slug);
    var windowMs = Number(panel ? panel.dataset.reconnectSeconds : 60) * 1000 || 3600000;
    st.reconnectUntil = st.reconnectUntil || Date.now() + windowMs;
    say(st, "reconnecting", "Reconnecting…");
    var old = st.session;
    st.session = null;
    old.close().then(function () { return publish(st, st.reconnectUntil); }).catch(function (error) {
      if (st.phase === "off") return; // Stop sending meanwhile
      stopSending(st, false);
      say(st, "error", "The connection could not be restored: " + error.message, true);
    });
  }

  function goLive(slug) {
    var st = stateOf(slug);
    say(st, "starting", "Starting…");
    (st.stream ? Promise.resolve() : openCamera(st).catch(function (error) { throw { name: "Camera", message: window.deviceCamera.problem(error) }; }))
      .then(function () { return startBroadcast(st); })
      .then(function (onAir) {
        if (!onAir) throw { name: "Start", message: "The camera did not start: see the message on its card." };
        say(st, "connecting", "Connecting…");
        return publish(st, Date.now() + RETRY_FIRST_MS);
      })
      .then(function () { startStats(st); })
      .catch(function (error) {
        if (st.phase === "off") return; // Stop sending meanwhile
        if (st.session) st.session.close();
        st.session = null;
        say(st, "error", error.message, true);
      })
      .then(function () { focusState(st); });
  }

  // Ends this device's session; the broadcast itself goes on, waiting the reconnect
  // window for a picture (another device may take over), unless Stop ends it.
  function stopSending(st, releaseCamera) {
    st.phase = "off";
    clearInterval(st.statsTimer);
    if (st.session) st.session.close();
    st.session = null;
    if (st.wakeLock) st.wakeLock.release().catch(function () {});
    st.wakeLock = null;
    if (releaseCamera && st.stream) {
      st.stream.getTracks().forEach(function (track) { track.stop(); });
      st.stream = null;
    }
  }

  function focusState(st) {
    var panel = panelOf(st.slug);
    if (panel) part(panel, "state").focus();
  }

  // Screen Wake Lock: a phone that dims and locks stops its camera. Browsers drop the
  // lock whenever the page is hidden; it is asked for again when it comes back.
  function keepAwake(st) {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    if (st.wakeLock && !st.wakeLock.released) return;
    navigator.wakeLock.request("screen").then(function (lock) { st.wakeLock = lock; }, function () {});
  }

  // The readout, once a second: bitrate, picture size and frame rate as sent.
  function startStats(st) {
    clearInterval(st.statsTimer);
    st.statsTimer = setInterval(function () {
      if (!st.session) return;
      st.session.stats().then(function (sent) {
        var panel = panelOf(st.slug);
        if (!panel || sent.kbps === null) return;
        var text = sent.kbps.toLocaleString() + " kb/s";
        if (sent.width) text += " · " + sent.width + "×" + sent.height;
        if (sent.fps) text += " · " + Math.round(sent.fps) + " fps";
        part(panel, "stats").textContent = text;
      });
    }, 1000);
  }

  function bind(panel) {
    panel.hidden = false;
    if (!supported()) {
      part(panel, "unsupported").hidden = false;
      part(panel, "controls").hidden = true;
      return;
    }
    var st = stateOf(panel.dataset.camera);
    fillDevices(st);
    render(st);
    // The broadcast was stopped (Stop, the API, the reconnect window ran out): let go.
    if (panel.dataset.onAir !== "true" && sending(st)) {
      stopSending(st, true);
      say(st, "off", "The broadcast has ended: this device stopped sending.");
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-publish-go], [data-publish-stop], [data-publish-camera], [data-publish-off]");
    if (!button) return;
    var st = stateOf(button.closest("[data-publish]").dataset.camera);
    if (button.matches("[data-publish-go]")) goLive(st.slug);
    else if (button.matches("[data-publish-camera]")) {
      openCamera(st).then(function () { say(st, "off", "Camera on: not sending yet."); }, function (error) {
        say(st, "error", window.deviceCamera.problem(error), true);
      });
    } else {
      var off = button.matches("[data-publish-off]");
      stopSending(st, true);
      say(st, "off", off ? "Camera off." : "Stopped sending from this device.");
      focusState(st);
    }
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-publish-device], [data-publish-resolution]");
    if (!select) return;
    var st = stateOf(select.closest("[data-publish]").dataset.camera);
    if (select.matches("[data-publish-device]")) st.deviceId = select.value;
    else st.height = select.value;
    if (st.stream) openCamera(st).catch(function (error) { say(st, st.phase, window.deviceCamera.problem(error), true); });
  });

  function prepare(root) {
    if (root.matches && root.matches("[data-publish]")) bind(root);
    root.querySelectorAll("[data-publish]").forEach(bind);
  }
  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  document.addEventListener("htmx:load", function (event) { prepare(event.detail.elt); });

  // The poll redraws a card when its state changes (waiting to live, say): focus that
  // was in the panel goes to the same control of the new one (host.js would otherwise
  // move it to the card's heading).
  var refocus = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var active = document.activeElement;
    var panel = active && active.closest && active.closest("[data-publish]");
    if (!panel || !event.detail.target.contains(panel)) return;
    var name = active.getAttributeNames().filter(function (n) { return n.indexOf("data-publish-") === 0; })[0];
    refocus = name ? { slug: panel.dataset.camera, part: name } : null;
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var panel = refocus && panelOf(refocus.slug);
    if (panel && panel.hidden) bind(panel); // htmx:load comes later, with the settle
    var next = panel && panel.querySelector("[" + refocus.part + "]");
    refocus = null;
    if (next && !next.hidden) next.focus();
  });

  function each(act) { Object.keys(publishers).forEach(function (slug) { act(publishers[slug]); }); }
  // Back from another app: a phone may have paused the camera long enough for the
  // server to end the session; if so, publish anew.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    each(function (st) {
      if (st.phase === "live") keepAwake(st);
      if (st.session && st.session.pc.connectionState !== "connected") reconnect(st);
    });
  });
  // Back on a network (Wi-Fi to mobile, a tunnel): the old path is gone, publish anew.
  window.addEventListener("online", function () {
    each(function (st) { if (st.session) reconnect(st); });
  });
  // Closing the page ends the session at once (else the server waits for its watchdog).
  window.addEventListener("pagehide", function () {
    each(function (st) { if (st.session) st.session.close(true); });
  });
})();
