// This device's camera for "Broadcast from this device": open it at a resolution,
// the back camera unless one was picked, and say in words why it would not open.
(function () {
  "use strict";

  function constraints(height, deviceId, audio) {
    var video = { width: { ideal: Math.round(height * 16 / 9) }, height: { ideal: height }, frameRate: { ideal: 30 } };
    // Before a camera is picked, the back one: a phone filming the tee, not its holder.
    if (deviceId) video.deviceId = { exact: deviceId };
    else video.facingMode = { ideal: "environment" };
    return { video: video, audio: audio };
  }

  function open(height, deviceId) {
    return navigator.mediaDevices.getUserMedia(constraints(Number(height), deviceId, true))
      .catch(function (error) {
        // No microphone, or it is busy (a call): send the picture alone.
        if (error.name !== "NotFoundError" && error.name !== "NotReadableError") throw error;
        return navigator.mediaDevices.getUserMedia(constraints(Number(height), deviceId, false));
      });
  }

  // Their labels are readable only once the user has allowed the camera.
  function videoInputs() {
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      return devices.filter(function (device) { return device.kind === "videoinput"; });
    });
  }

  function problem(error) {
    if (error.name === "NotAllowedError") return "The camera was not allowed: allow it in the browser's site settings, then try again.";
    if (error.name === "NotFoundError") return "This device has no camera.";
    if (error.name === "OverconstrainedError") return "The camera cannot film at that resolution: pick a lower one.";
    return "The camera could not be opened (" + error.name + ").";
  }

  window.deviceCamera = { open: open, videoInputs: videoInputs, problem: problem };
})();
