// A plain WHIP client (RFC 9725): the whole offer in one POST, the answer back, the
// session's URL in Location; DELETE on it ends the session. The host page's
// "Broadcast from this device" uses it, and the browser tests use it on its own.
// The stream key travels only in the Authorization header: never in a URL (URLs end
// up in logs and history) and never in a console line.
(function () {
  "use strict";

  // Video bitrates a phone can hold on a good uplink, by picture height (kb/s as the
  // README's encoder advice: 720p30 at 2,500, 1080p30 at 6,000 is too much for 4G).
  var MAX_BITRATE = { 1080: 4500000, 720: 2500000, 480: 1200000 };

  function WhipError(status, message, code) {
    var error = new Error(message);
    error.name = "WhipError";
    error.status = status; // 0: no answer (network, timeout)
    error.code = code || ""; // the server's error code: 409 "conflict" or "not_live"
    return error;
  }

  // No trickle ICE: the offer carries every candidate, so wait for gathering (host
  // candidates only take milliseconds; a slow STUN server must not hold us long).
  function gathered(pc, ms) {
    return new Promise(function (resolve) {
      if (pc.iceGatheringState === "complete") return resolve();
      var timer = setTimeout(resolve, ms);
      pc.addEventListener("icegatheringstatechange", function () {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  // What a person can do about the usual refusals; otherwise the server's own words.
  var ADVICE = {
    401: "The camera's stream key was refused (rotated?): reload the page and try again.",
    conflict: "Another device is sending to this camera: stop it there first.",
    not_live: "The camera's broadcast is not live: press Go live to start it again.",
    429: "Too many attempts: wait a minute, then try again.",
  };

  // The server answers errors as {"error": code, "detail": message}.
  function refusal(response) {
    return response.text().then(function (text) {
      var body = {};
      try { body = JSON.parse(text); } catch (e) { /* not JSON: a proxy's page */ }
      var message = ADVICE[body.error] || ADVICE[response.status] || body.detail || response.statusText || "HTTP " + response.status;
      return WhipError(response.status, message, body.error);
    });
  }

  function send(url, init, ms) {
    // A POST on a dead network can hang for minutes: give up and let the caller retry.
    if (ms && window.AbortSignal && AbortSignal.timeout) init.signal = AbortSignal.timeout(ms);
    return fetch(url, init).catch(function (error) {
      throw WhipError(0, error && error.name === "TimeoutError"
        ? "The WHIP server did not answer in time."
        : "The WHIP server could not be reached.");
    });
  }

  // Publishes every track of `stream` to the WHIP endpoint `url`. Resolves with
  // {pc, location, close(keepalive)}; rejects with a WhipError (status, message).
  function whipPublish(url, key, stream, options) {
    options = options || {};
    var pc = new RTCPeerConnection({ iceServers: options.iceServers || [], bundlePolicy: "max-bundle" });
    stream.getTracks().forEach(function (track) {
      var init = { direction: "sendonly", streams: [stream] };
      if (track.kind === "video" && options.maxBitrate) init.sendEncodings = [{ maxBitrate: options.maxBitrate }];
      pc.addTransceiver(track, init);
    });
    var headers = { Authorization: "Bearer " + key };
    var location = null;
    return pc.createOffer()
      .then(function (offer) { return pc.setLocalDescription(offer); })
      .then(function () { return gathered(pc, options.gatherMs || 2000); })
      .then(function () {
        return send(url, {
          method: "POST",
          headers: Object.assign({ "Content-Type": "application/sdp" }, headers),
          body: pc.localDescription.sdp,
          credentials: "omit",
          cache: "no-store",
        }, options.timeoutMs || 10000);
      })
      .then(function (response) {
        if (response.status !== 201) {
          return refusal(response).then(function (error) { throw error; });
        }
        var answerLocation = response.headers.get("Location");
        if (!answerLocation) throw WhipError(response.status, "The WHIP server gave no session URL.");
        location = new URL(answerLocation, response.url || new URL(url, document.baseURI)).href;
        return response.text();
      })
      .then(function (answer) { return pc.setRemoteDescription({ type: "answer", sdp: answer }); })
      .then(function () {
        var last = null;
        return {
          pc: pc,
          location: location,
          // What leaves the device since the last call: every outbound RTP byte (kb/s),
          // the video's size and frame rate as the encoder sends them.
          stats: function () {
            return pc.getStats().then(function (report) {
              var bytes = 0, video = {};
              report.forEach(function (stat) {
                if (stat.type !== "outbound-rtp") return;
                bytes += stat.bytesSent || 0;
                if (stat.kind === "video") video = stat;
              });
              var now = performance.now(), kbps = null;
              if (last && now > last.at && bytes >= last.bytes) kbps = Math.round((bytes - last.bytes) * 8 / (now - last.at));
              last = { at: now, bytes: bytes };
              return { kbps: kbps, width: video.frameWidth, height: video.frameHeight, fps: video.framesPerSecond };
            });
          },
          // DELETE first, so that the server ends the session on the publisher's word;
          // then the connection closes. keepalive (pagehide): the request outlives the
          // page, and there is no time to wait for it.
          close: function (keepalive) {
            var init = { method: "DELETE", headers: headers, keepalive: !!keepalive, credentials: "omit" };
            if (!keepalive && window.AbortSignal && AbortSignal.timeout) init.signal = AbortSignal.timeout(3000);
            if (keepalive) pc.close();
            return fetch(location, init)
              .catch(function () { return null; }) // the server's watchdog ends it anyway
              .then(function (response) { pc.close(); return response; });
          },
        };
      })
      .catch(function (error) {
        pc.close();
        if (location) {
          fetch(location, { method: "DELETE", headers: headers, credentials: "omit" }).catch(function () {});
        }
        throw error.name === "WhipError" ? error : WhipError(0, "The connection could not be set up: " + error.message);
      });
  }

  window.whipPublish = whipPublish;
  window.whipMaxBitrate = MAX_BITRATE;
})();
