/* A stand-in for livekit-client's Room, for the join page's tests and screenshots.
 *
 * Served right after the real livekit-client 2.23.0 bundle (same script), it replaces
 * only LivekitClient.Room: the token request still goes through the real
 * TokenSource.endpoint to mockflow's real endpoint, and the event names, disconnect
 * reasons and participant kinds are the library's own. The fake Room keeps the members
 * the page uses (on, connect, disconnect, startAudio, canPlaybackAudio,
 * remoteParticipants, localParticipant.setMicrophoneEnabled/identity,
 * registerTextStreamHandler), and window.fakeLiveKit drives what a LiveKit server and
 * an agent would do: the agent joining, its state attribute, transcription text
 * streams on "lk.transcription", active speakers, reconnects, disconnects.
 * tests/test_join_page.py checks that the real Room has every member this fake stands
 * in for.
 */
(function () {
  "use strict";
  var real = window.LivekitClient;
  var E = real.RoomEvent;

  function decodeToken(token) {
    var payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  }

  function LocalParticipant() {
    this.identity = "";
    this.name = "";
    this.isAgent = false;
    this.attributes = {};
    this.microphone = [];
  }
  LocalParticipant.prototype.setMicrophoneEnabled = function (enabled, options) {
    this.microphone.push({ enabled: enabled, options: options || null });
    return Promise.resolve();
  };

  function FakeRoom(options) {
    this.options = options || {};
    this.state = real.ConnectionState.Disconnected;
    this.remoteParticipants = new Map();
    this.localParticipant = new LocalParticipant();
    this.canPlaybackAudio = true;
    this.listeners = {};
    this.textHandlers = {};
    control.rooms.push(this);
    control.room = this;
  }
  FakeRoom.prototype.on = function (event, callback) {
    (this.listeners[event] = this.listeners[event] || []).push(callback);
    return this;
  };
  FakeRoom.prototype.emit = function (event) {
    var args = Array.prototype.slice.call(arguments, 1);
    (this.listeners[event] || []).forEach(function (callback) { callback.apply(null, args); });
  };
  FakeRoom.prototype.registerTextStreamHandler = function (topic, callback) {
    this.textHandlers[topic] = callback;
  };
  FakeRoom.prototype.setState = function (state) {
    this.state = state;
    this.emit(E.ConnectionStateChanged, state);
  };
  FakeRoom.prototype.connect = function (url, token) {
    var room = this;
    control.connects.push({ url: url, token: token });
    room.setState(real.ConnectionState.Connecting);
    if (control.failConnect) {
      room.setState(real.ConnectionState.Disconnected);
      return Promise.reject(new Error(control.failConnect));
    }
    var claims = decodeToken(token);
    room.localParticipant.identity = claims.sub;
    room.localParticipant.name = claims.name || "";
    room.setState(real.ConnectionState.Connected);
    room.emit(E.Connected);
    return Promise.resolve();
  };
  FakeRoom.prototype.disconnect = function () {
    if (this.state !== real.ConnectionState.Disconnected) {
      this.setState(real.ConnectionState.Disconnected);
      this.emit(E.Disconnected, real.DisconnectReason.CLIENT_INITIATED);
    }
    return Promise.resolve();
  };
  FakeRoom.prototype.startAudio = function () {
    return Promise.resolve();
  };

  function reader(text, segment, final) {
    var chunks = Array.isArray(text) ? text : [text];
    return {
      info: {
        id: "stream-" + (control.streams += 1),
        topic: "lk.transcription",
        attributes: {
          "lk.segment_id": segment,
          "lk.transcription_final": final ? "true" : "false",
        },
      },
      readAll: function () { return Promise.resolve(chunks.join("")); },
      [Symbol.asyncIterator]: function () {
        var i = 0;
        return {
          next: function () {
            return Promise.resolve(i < chunks.length ? { value: chunks[i++], done: false }
              : { value: undefined, done: true });
          },
        };
      },
    };
  }

  var control = {
    rooms: [],
    room: null,
    connects: [],
    streams: 0,
    failConnect: "",
    agent: null,
    agentJoins: function (name) {
      var agent = {
        identity: "agent-AJ_fake", name: name || "agent", isAgent: true,
        kind: real.ParticipantKind.AGENT, attributes: { "lk.agent.state": "initializing" },
      };
      control.agent = agent;
      control.room.remoteParticipants.set(agent.identity, agent);
      control.room.emit(E.ParticipantConnected, agent);
    },
    agentState: function (state) {
      control.agent.attributes = { "lk.agent.state": state };
      control.room.emit(E.ParticipantAttributesChanged, { "lk.agent.state": state },
        control.agent);
    },
    say: function (text, segment) {
      var handler = control.room.textHandlers["lk.transcription"];
      return handler(reader(text, segment || "SG_" + control.streams, false),
        { identity: control.agent.identity });
    },
    heard: function (text) {  // the candidate's own words, transcribed by the agent
      var handler = control.room.textHandlers["lk.transcription"];
      return handler(reader(text, "SG_user_" + control.streams, true),
        { identity: control.room.localParticipant.identity });
    },
    speakers: function (identities) {
      var room = control.room;
      var list = identities.map(function (id) {
        return id === "me" ? room.localParticipant : room.remoteParticipants.get(id);
      });
      room.emit(E.ActiveSpeakersChanged, list);
    },
    reconnecting: function () {
      control.room.setState(real.ConnectionState.Reconnecting);
      control.room.emit(E.Reconnecting);
    },
    reconnected: function () {
      control.room.setState(real.ConnectionState.Connected);
      control.room.emit(E.Reconnected);
    },
    drop: function (reason) {
      var room = control.room;
      room.setState(real.ConnectionState.Disconnected);
      room.emit(E.Disconnected, real.DisconnectReason[reason || "UNKNOWN_REASON"]);
    },
    agentLeaves: function () {
      var room = control.room;
      room.remoteParticipants.delete(control.agent.identity);
      room.emit(E.ParticipantDisconnected, control.agent);
    },
  };

  var copy = {};
  Object.keys(real).forEach(function (key) { copy[key] = real[key]; });
  copy.Room = FakeRoom;
  window.LivekitClient = copy;
  window.fakeLiveKit = control;
})();
