/* mockflow join page: consent -> microphone check -> interview -> thank you.
 *
 * Plain browser JavaScript on livekit-client (window.LivekitClient, served by mockflow
 * from the package, pinned). Everything the candidate reads that comes from the server
 * is in the HTML already, escaped; this script only sets textContent, never HTML.
 * The token comes from this page's own endpoint (<page>/token) through livekit-client's
 * TokenSource.endpoint; the code in the URL alone decides room, identity and agent.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("mf-data").textContent);
  var who = data.interviewer;
  var totalSeconds = Math.max(60, Math.round(data.minutes * 60));

  function $(id) { return document.getElementById(id); }

  function setText(id, text) { $(id).textContent = text; }

  // ------------------------------------------------------------------ steps

  var STEPS = ["notice", "mic", "call", "done"];
  var current = "notice";

  function show(step) {
    current = step;
    STEPS.forEach(function (name) {
      $("step-" + name).hidden = name !== step;
    });
    document.querySelectorAll(".steps li").forEach(function (item) {
      if (item.getAttribute("data-step") === step) {
        item.setAttribute("aria-current", "step");
      } else {
        item.removeAttribute("aria-current");
      }
    });
    var heading = $(step + "-title");
    if (heading) { heading.focus(); }
  }

  // ------------------------------------------------------------------ consent

  $("consent-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = $("consent");
    if (!box.checked) {
      $("consent-error").hidden = false;
      box.setAttribute("aria-invalid", "true");
      box.focus();
      return;
    }
    $("consent-error").hidden = true;
    box.removeAttribute("aria-invalid");
    show("mic");
    startMic();
  });

  $("consent").addEventListener("change", function () {
    if ($("consent").checked) {
      $("consent-error").hidden = true;
      $("consent").removeAttribute("aria-invalid");
    }
  });

  // ------------------------------------------------------------------ microphone check

  var HEARD_DB = -50;        // louder than this counts as speech, not room noise
  var HEARD_MS = 300;        // this much of it means we can hear the candidate
  var TEST_MS = 8000;        // how long the speaking test listens
  var mic = {
    stream: null, context: null, analyser: null, samples: null, timer: 0,
    heard: false, loudMs: 0, lastTick: 0, deviceId: "", testTimer: 0, testing: false,
  };

  function micProblem(message) {
    stopMic();
    $("mic-controls").hidden = true;
    $("mic-problem").hidden = false;
    setText("mic-problem-text", message);
    $("join").disabled = true;
    $("mic-retry").focus();
  }

  function explainMicError(err) {
    var name = err && err.name;
    if (!window.isSecureContext || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) {
      return "This page can’t use a microphone because it was not opened over a secure" +
        " (https) connection. Ask the person who sent you the link for a working one.";
    }
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Your browser blocked the microphone. To allow it, click the icon next to the" +
        " web address (a lock or a microphone), set Microphone to Allow, then press" +
        " Try again.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No microphone was found. Connect a microphone or a headset, then press" +
        " Try again.";
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return "Your microphone could not be started: another app may be using it. Close" +
        " other apps that use the microphone (for example video calls), then press" +
        " Try again.";
    }
    return "Your microphone could not be started (" + (name || "unknown error") + ")." +
      " Press Try again, or try another browser.";
  }

  function stopMic() {
    clearInterval(mic.timer);
    clearTimeout(mic.testTimer);
    mic.testing = false;
    if (mic.stream) {
      mic.stream.getTracks().forEach(function (track) { track.stop(); });
    }
    if (mic.context) { mic.context.close().catch(function () {}); }
    mic.stream = null;
    mic.context = null;
    mic.analyser = null;
  }

  function startMic(deviceId) {
    stopMic();
    $("mic-problem").hidden = true;
    if (!window.isSecureContext || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) {
      micProblem(explainMicError(null));
      return Promise.resolve();
    }
    var constraints = {
      audio: deviceId ? { deviceId: { exact: deviceId } } : true,
      video: false,
    };
    setText("mic-status", "Asking for the microphone…");
    return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      mic.stream = stream;
      var track = stream.getAudioTracks()[0];
      mic.deviceId = (track.getSettings && track.getSettings().deviceId) || deviceId || "";
      $("mic-controls").hidden = false;
      track.addEventListener("mute", showMuted);
      track.addEventListener("unmute", function () { micStatus(mic.heard ? heardText() : listenText()); });
      track.addEventListener("ended", function () {
        if (current === "mic") { micProblem("The microphone was disconnected. Connect it again, then press Try again."); }
      });
      meter(stream);
      if (track.muted) { showMuted(); } else { micStatus(mic.heard ? heardText() : listenText()); }
      return listDevices();
    }).catch(function (err) {
      micProblem(explainMicError(err));
    });
  }

  function listenText() {
    return "Say something, for example your name, and watch the level move.";
  }

  function heardText() {
    return "We can hear you. You’re ready to join.";
  }

  function micStatus(text, warn) {
    var status = $("mic-status");
    status.textContent = text;
    status.classList.toggle("warn", Boolean(warn));
  }

  function showMuted() {
    micStatus("Your microphone is muted (by a switch on the device, or by the system)." +
      " Unmute it, or choose another microphone above.", true);
    $("join-anyway").hidden = false;
  }

  function listDevices() {
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var select = $("mic-device");
      var inputs = devices.filter(function (d) { return d.kind === "audioinput"; });
      select.textContent = "";
      inputs.forEach(function (device, index) {
        var option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || ("Microphone " + (index + 1));
        option.selected = device.deviceId === mic.deviceId;
        select.appendChild(option);
      });
      select.disabled = inputs.length < 2;
    });
  }

  function meter(stream) {
    var Context = window.AudioContext || window.webkitAudioContext;
    mic.context = new Context();
    var source = mic.context.createMediaStreamSource(stream);
    mic.analyser = mic.context.createAnalyser();
    mic.analyser.fftSize = 2048;
    source.connect(mic.analyser);
    mic.samples = new Float32Array(mic.analyser.fftSize);
    mic.lastTick = performance.now();
    mic.timer = setInterval(function () {
      if (!mic.analyser) { return; }
      if (mic.context.state === "suspended") { mic.context.resume().catch(function () {}); }
      mic.analyser.getFloatTimeDomainData(mic.samples);
      var sum = 0;
      for (var i = 0; i < mic.samples.length; i += 1) { sum += mic.samples[i] * mic.samples[i]; }
      var rms = Math.sqrt(sum / mic.samples.length);
      var db = rms > 0 ? 20 * Math.log10(rms) : -100;
      var level = Math.max(0, Math.min(1, (db + 60) / 60));
      var now = performance.now();
      var elapsed = now - mic.lastTick;
      mic.lastTick = now;
      drawLevel(level);
      if (db > HEARD_DB) {
        mic.loudMs += elapsed;
        if (!mic.heard && mic.loudMs >= HEARD_MS) { heard(); }
      }
    }, 50);
  }

  function drawLevel(level) {
    $("level-fill").style.transform = "scaleX(" + level.toFixed(3) + ")";
    var meterEl = $("level");
    var percent = Math.round(level * 100);
    meterEl.setAttribute("aria-valuenow", String(percent));
    meterEl.setAttribute("aria-valuetext", percent < 5 ? "silent" : percent + " percent");
  }

  function heard() {
    mic.heard = true;
    clearTimeout(mic.testTimer);
    mic.testing = false;
    micStatus(heardText());
    $("join").disabled = false;
    $("join-anyway").hidden = true;
    $("join-hint").hidden = true;
  }

  $("speak-test").addEventListener("click", function () {
    mic.heard = false;
    mic.loudMs = 0;
    mic.testing = true;
    $("join").disabled = true;
    $("join-hint").hidden = false;
    micStatus("Listening… say a few words now.");
    clearTimeout(mic.testTimer);
    mic.testTimer = setTimeout(function () {
      if (mic.heard || !mic.testing) { return; }
      mic.testing = false;
      micStatus("We couldn’t hear you. Check that the microphone isn’t muted (some" +
        " headsets have a switch), move closer, or choose another microphone above," +
        " then test again.", true);
      $("join-anyway").hidden = false;
    }, TEST_MS);
  });

  $("mic-device").addEventListener("change", function () {
    mic.heard = false;
    mic.loudMs = 0;
    $("join").disabled = true;
    $("join-hint").hidden = false;
    startMic($("mic-device").value);
  });

  $("mic-retry").addEventListener("click", function () { startMic(mic.deviceId); });

  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", function () {
      if (current === "mic" && mic.stream) { listDevices(); }
    });
  }

  $("join").addEventListener("click", join);
  $("join-anyway").addEventListener("click", join);

  // ------------------------------------------------------------------ the call

  var LK = window.LivekitClient;
  var room = null;
  var tokens = null;
  var agent = null;
  var leaving = false;
  var ended = false;
  var muted = false;
  var startedAt = 0;
  var clockTimer = 0;
  var agentState = "";
  var localSpeaking = false;
  var captions = {};  // segment id -> caption element
  var lastAnnounced = "";

  function conn(state, text) {
    var el = $("conn");
    el.setAttribute("data-state", state);
    el.textContent = text;
  }

  function callProblem(text, canRetry, detail) {
    $("call-problem").hidden = false;
    setText("call-problem-text", text);
    $("call-problem-detail").hidden = !detail;
    setText("call-problem-detail", detail ? "Details: " + detail : "");
    $("rejoin").hidden = !canRetry;
    if (canRetry) { $("rejoin").focus(); }
  }

  function tokenUrl() {
    var path = window.location.pathname.replace(/\/+$/, "");
    return window.location.origin + path + "/token";
  }

  function tokenFailure(err) {
    // TokenSource.endpoint throws "… received <status> / <body>" for an answer that isn't ok
    var match = /received (\d{3}) \/ ([\s\S]*)$/.exec((err && err.message) || "");
    if (!match) {
      return { text: "We couldn’t reach the interview site. Check your internet connection," +
        " then press Try again.", retry: true };
    }
    var status = Number(match[1]);
    var body = {};
    try { body = JSON.parse(match[2]); } catch (e) { body = {}; }
    var message = body.message || "The interview could not be started (error " + status + ").";
    if (status === 429) {
      return { text: message, retry: true };
    }
    return { text: message, retry: status >= 500, final: status === 410 };
  }

  function join() {
    stopMic();
    show("call");
    $("call-problem").hidden = true;
    conn("connecting", "Connecting…");
    if (!LK) {
      conn("failed", "Not connected");
      callProblem("The page did not load completely. Reload it, then try again.", false);
      return;
    }
    if (!tokens) { tokens = LK.TokenSource.endpoint(tokenUrl(), { credentials: "same-origin" }); }
    tokens.fetch({}).then(function (details) {
      return connect(details.serverUrl, details.participantToken);
    }, function (err) {
      var failure = tokenFailure(err);
      conn("failed", "Not connected");
      setWho("none", "Not connected");
      callProblem(failure.text, failure.retry);
    });
  }

  function connect(url, token) {
    room = new LK.Room({
      adaptiveStream: false,
      dynacast: false,
      disconnectOnPageLeave: true,
      audioCaptureDefaults: {
        deviceId: mic.deviceId || undefined,
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      },
    });
    wire(room);
    return room.connect(url, token).then(function () {
      conn("connected", "Connected");
      room.remoteParticipants.forEach(function (participant) { maybeAgent(participant); });
      if (!agent) { setWho("none", "Waiting for " + who + " to join…"); }
      room.startAudio().catch(function () {});
      return room.localParticipant.setMicrophoneEnabled(true,
        mic.deviceId ? { deviceId: mic.deviceId } : undefined).catch(function (err) {
        callProblem(explainMicError(err), false);
      });
    }, function (err) {
      room = null;
      conn("failed", "Not connected");
      setWho("none", "Not connected");
      callProblem("We couldn’t connect to the interview. Check your internet connection" +
        " (a company network or VPN may block it), then press Try again.", true,
        err && err.message);
    });
  }

  function wire(r) {
    var E = LK.RoomEvent;
    r.on(E.Reconnecting, function () {
      conn("reconnecting", "Connection lost. Reconnecting…");
    });
    r.on(E.SignalReconnecting, function () {
      conn("reconnecting", "Connection unstable. Reconnecting…");
    });
    r.on(E.Reconnected, function () {
      conn("connected", "Connected again");
    });
    r.on(E.Disconnected, function (reason) { disconnected(r, reason); });
    r.on(E.ParticipantConnected, maybeAgent);
    r.on(E.ParticipantDisconnected, function (participant) {
      if (agent && participant.identity === agent.identity) {
        finish("The interview has ended.");
      }
    });
    r.on(E.ParticipantAttributesChanged, function (changed, participant) {
      if (agent && participant.identity === agent.identity) { readAgentState(participant); }
    });
    r.on(E.ActiveSpeakersChanged, function (speakers) {
      localSpeaking = speakers.some(function (p) { return p.identity === r.localParticipant.identity; });
      renderWho();
    });
    r.on(E.TrackSubscribed, function (track) {
      if (track.kind === "audio") {
        var element = track.attach();
        $("audio-sink").appendChild(element);
      }
    });
    r.on(E.TrackUnsubscribed, function (track) { track.detach(); });
    r.on(E.AudioPlaybackStatusChanged, function () {
      $("enable-audio").hidden = r.canPlaybackAudio;
    });
    r.on(E.MediaDevicesError, function (err) { callProblem(explainMicError(err), false); });
    r.registerTextStreamHandler("lk.transcription", function (reader, from) {
      return caption(r, reader, from);
    });
  }

  function maybeAgent(participant) {
    if (agent || !participant.isAgent) { return; }
    agent = participant;
    if (!startedAt) { startClock(); }
    readAgentState(participant);
  }

  function readAgentState(participant) {
    agentState = (participant.attributes || {})["lk.agent.state"] || agentState || "listening";
    renderWho();
  }

  function setWho(speaker, text) {
    $("who").setAttribute("data-speaker", speaker);
    setText("who-text", text);
  }

  function renderWho() {
    if (!agent) { return; }
    if (localSpeaking && !muted) { setWho("you", "You are speaking"); return; }
    if (agentState === "speaking") { setWho("agent", who + " is speaking"); return; }
    if (agentState === "thinking") { setWho("thinking", who + " is thinking…"); return; }
    if (agentState === "initializing") { setWho("none", who + " is getting ready…"); return; }
    setWho("listening", muted ? who + " is listening. Your microphone is muted." :
      who + " is listening: your turn");
  }

  function caption(r, reader, from) {
    var attributes = (reader.info && reader.info.attributes) || {};
    var mine = from && from.identity === r.localParticipant.identity;
    if (mine) { return reader.readAll().then(function () {}); }  // the candidate's own words
    var id = attributes["lk.segment_id"] || reader.info.id;
    var line = captions[id];
    var box = $("captions");
    var empty = box.querySelector(".captions-empty");
    if (empty) { empty.remove(); }
    if (!line) {
      line = document.createElement("p");
      line.className = "caption";
      captions[id] = line;
      box.appendChild(line);
      while (box.children.length > 50) { box.removeChild(box.firstChild); }
    }
    line.textContent = "";  // a new stream for a segment carries its whole text again
    function pump(iterator) {
      return iterator.next().then(function (step) {
        if (step.done) { return; }
        line.textContent += step.value;
        box.scrollTop = box.scrollHeight;
        return pump(iterator);
      });
    }
    // a stream ends with its segment (or carries a final segment whole): announce it once
    return pump(reader[Symbol.asyncIterator]()).then(function () {
      if (line.textContent && line.textContent !== lastAnnounced) {
        lastAnnounced = line.textContent;
        setText("captions-announce", line.textContent);
      }
    });
  }

  function startClock() {
    startedAt = Date.now();
    clearInterval(clockTimer);
    tick();
    clockTimer = setInterval(tick, 1000);
  }

  function tick() {
    var seconds = Math.floor((Date.now() - startedAt) / 1000);
    var text = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    setText("elapsed", text);
    var bar = $("progress");
    bar.setAttribute("aria-valuenow", String(Math.min(seconds, totalSeconds)));
    bar.setAttribute("aria-valuetext", Math.floor(seconds / 60) + " of about " +
      Math.round(totalSeconds / 60) + " minutes");
    $("progress-fill").style.transform = "scaleX(" +
      Math.min(1, seconds / totalSeconds).toFixed(3) + ")";
  }

  function disconnected(r, reason) {
    if (r !== room) { return; }
    room = null;
    var R = LK.DisconnectReason;
    if (leaving) { finish("You left the interview."); return; }
    if (ended) { return; }
    if (reason === R.ROOM_DELETED || reason === R.ROOM_CLOSED) {
      finish("The interview has ended.");
      return;
    }
    if (reason === R.DUPLICATE_IDENTITY) {
      conn("failed", "Not connected");
      callProblem("This interview was opened in another tab or window, so this one was" +
        " disconnected. Continue there, or press Try again to continue here.", true);
      return;
    }
    if (reason === R.PARTICIPANT_REMOVED) {
      finish("The interview was stopped by the organiser.");
      return;
    }
    conn("failed", "Disconnected");
    setWho("none", "Not connected");
    callProblem("The connection to the interview was lost. Check your internet" +
      " connection, then press Try again to continue.", true);
  }

  function finish(reason) {
    if (ended) { return; }
    ended = true;
    clearInterval(clockTimer);
    var r = room;
    room = null;
    if (r) { r.disconnect().catch(function () {}); }
    setText("done-reason", reason);
    show("done");
  }

  $("rejoin").addEventListener("click", function () {
    if (room) { room.disconnect().catch(function () {}); room = null; }
    agent = null;
    agentState = "";
    join();
  });

  $("mute").addEventListener("click", function () {
    if (!room) { return; }
    var button = $("mute");
    var next = !muted;
    button.disabled = true;
    room.localParticipant.setMicrophoneEnabled(!next).then(function () {
      muted = next;
      button.setAttribute("aria-pressed", String(muted));
      button.textContent = muted ? "Unmute microphone" : "Mute microphone";
      renderWho();
    }).catch(function (err) {
      callProblem(explainMicError(err), false);
    }).then(function () { button.disabled = false; });
  });

  $("enable-audio").addEventListener("click", function () {
    if (room) { room.startAudio().catch(function () {}); }
  });

  var dialog = $("leave-dialog");
  $("leave").addEventListener("click", function () {
    if (typeof dialog.showModal === "function") {
      dialog.showModal();
      $("leave-cancel").focus();
    } else if (window.confirm("Leave the interview? If you leave now, the interview ends.")) {
      leave();
    }
  });
  $("leave-cancel").addEventListener("click", function () {
    dialog.close();
    $("leave").focus();
  });
  $("leave-confirm").addEventListener("click", function () {
    dialog.close();
    leave();
  });

  function leave() {
    leaving = true;
    finish("You left the interview.");
  }

  window.addEventListener("beforeunload", function (event) {
    if (room && !ended) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
