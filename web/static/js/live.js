// The /live protocol client (docs/live-protocol.md): snapshot + seq on join, then deltas;
// on reconnect it sends its last seq and gets the missed deltas or a resync. Shared by every page.
/* global io */
import { tr } from "./i18n.js";

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Server clock: the offset from this device's clock, measured over the lowest-latency round trip,
// so a countdown is right even when the tablet's own clock is wrong.
export class ServerClock {
  constructor() { this.offset = 0; this.rtt = Infinity; }
  async sync(samples = 5) {
    for (let i = 0; i < samples; i++) {
      const sent = Date.now();
      try {
        const response = await fetch("/api/v1/time", { cache: "no-store" });
        const { server_time: server } = await response.json();
        const received = Date.now();
        if (received - sent < this.rtt) {
          this.rtt = received - sent;
          this.offset = server - (sent + received) / 2;
        }
      } catch (err) { /* offline: keep the last good offset */ }
    }
    return this.offset;
  }
  now() { return Date.now() + this.offset; }
}

// One subscription to a room of /live. `onState` gets the full state after every change:
// { seq, rows: Map(id → row), progress, row (contestant scope) }.
export class LiveFeed {
  constructor({ contest, scope, site = null, contestant = null, auth = null, onState, onStatus, onNotice }) {
    Object.assign(this, { contest, scope, site, contestant, onState, onStatus, onNotice });
    this.seq = null;            // the log position our state reflects; null until the first snapshot
    this.rows = new Map();
    this.progress = {};
    this.row = null;
    this.applied = 0;           // deltas applied (the tests read it)
    this.socket = io("/live", { auth: auth || {}, transports: ["websocket"], reconnectionDelayMax: 3000 });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", () => this.status("reconnecting"));
    this.socket.on("connect_error", () => this.status("reconnecting"));
    this.socket.on("delta", (delta) => this.receive(delta));
    this.socket.on("sheet", (message) => {
      if (this.seq !== null && message.seq <= this.seq) return;
      this.row = message.row; this.seq = message.seq; this.emit();
    });
    this.socket.on("notice", (notice) => this.onNotice && this.onNotice(notice));
    // The contest changed state (freeze, thaw, end, finalize): ask again from where we are.
    this.socket.on("contest", () => this.join());
  }

  status(state) { this.state = state; if (this.onStatus) this.onStatus(state); }

  join() {
    this.status("catching-up");
    const request = { contest: this.contest, scope: this.scope };
    if (this.site !== null) request.site = this.site;
    if (this.contestant !== null) request.contestant = this.contestant;
    if (this.seq !== null && this.scope !== "contestant") request.since = this.seq;
    this.socket.timeout(10000).emit("join", request, (err, answer) => {
      if (err || !answer || !answer.ok) {
        this.status("reconnecting");
        if (answer && answer.error === "forbidden") return;  // retrying will not help
        setTimeout(() => this.join(), 2000);
        return;
      }
      this.frozen = Boolean(answer.frozen);
      if (answer.kind === "deltas") {
        for (const delta of answer.deltas) this.apply(delta);
      } else if (answer.kind === "snapshot" || answer.kind === "resync") {
        this.replace(answer);
      }
      this.status("live");
      this.emit();
    });
  }

  replace(answer) {
    this.seq = answer.seq;
    if (answer.snapshot) {
      this.rows = new Map(answer.snapshot.rows.map((row) => [row.id, row]));
      this.progress = answer.snapshot.progress || {};
    }
    if ("row" in answer) this.row = answer.row;
  }

  receive(delta) {
    if (this.seq === null || delta.seq <= this.seq) return;   // older than what we show: drop
    // Rank runs are relative to the position a delta was made for: anything else (a gap) means
    // asking for what we missed.
    if (delta.from_seq !== this.seq) { this.join(); return; }
    this.apply(delta);
    this.emit();
  }

  apply(delta) {
    if (delta.seq <= this.seq || delta.from_seq !== this.seq) return;
    // Rows not sent whole moved only by others' marks: runs [first, last, by] of old ranks.
    const sent = new Set(delta.rows.map((row) => row.id));
    const shift = (runs, rank) => {
      for (const [first, last, by] of runs || []) if (rank >= first && rank <= last) return rank + by;
      return rank;
    };
    const siteShifts = delta.site_shifts || {};
    if ((delta.shifts && delta.shifts.length) || Object.keys(siteShifts).length) {
      for (const [id, row] of this.rows) {
        if (sent.has(id)) continue;
        const rank = shift(delta.shifts, row.rank);
        const siteRank = shift(siteShifts[row.site_id], row.site_rank);
        if (rank !== row.rank || siteRank !== row.site_rank) this.rows.set(id, { ...row, rank, site_rank: siteRank });
      }
    }
    for (const row of delta.rows) this.rows.set(row.id, row);
    if (delta.progress) Object.assign(this.progress, delta.progress);
    this.seq = delta.seq;
    this.applied += 1;
  }

  emit() { if (this.onState) this.onState(this); }
}

export function indicator(element) {
  const labels = { live: `● ${tr("实时", "Live")}`, reconnecting: `○ ${tr("重连中", "Reconnecting")}`,
                   "catching-up": `◐ ${tr("同步中", "Catching up")}` };
  return (state) => {
    element.textContent = labels[state] || state;
    element.dataset.state = state;
  };
}
