// A tablet's outbox: every command is stored (localStorage) with its idempotency key before it is
// sent, shown as unsynced until the server answers, and re-sent after a network failure. The
// server accepts a key once, so a resend after a lost answer does not count twice.
import { csrfToken } from "./live.js";
import { english, tr } from "./i18n.js";

function newKey() {
  return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);
}

export class Outbox {
  constructor(name, { onChange, onAccepted, onRejected } = {}) {
    this.storageKey = `jx-outbox:${name}`;
    Object.assign(this, { onChange, onAccepted, onRejected });
    this.items = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
    this.sending = false;
    window.addEventListener("online", () => this.flush());
    setInterval(() => this.flush(), 5000);
  }

  save() { localStorage.setItem(this.storageKey, JSON.stringify(this.items)); if (this.onChange) this.onChange(this.items); }

  add(url, body, label, kind = "mark") {
    const item = { url, body: { ...body, idempotency_key: body.idempotency_key || newKey() }, label, kind, state: "unsynced" };
    // A new entry for the same contestant and aspect supersedes one the server refused.
    this.items = this.items.filter((old) => !(old.state === "rejected" && old.kind === kind &&
      old.body.contestant === body.contestant && old.body.aspect === body.aspect));
    this.items.push(item);
    this.save();
    this.flush();
    return item;
  }

  pending() { return this.items.filter((item) => item.state === "unsynced").length; }

  dismiss(key) { this.items = this.items.filter((item) => item.body.idempotency_key !== key); this.save(); }

  async flush() {
    if (this.sending) return;
    this.sending = true;
    try {
      for (const item of [...this.items]) {
        if (item.state !== "unsynced") continue;
        let response;
        try {
          response = await fetch(item.url, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify(item.body),
          });
        } catch (err) {
          return;  // offline: keep everything, in order, for the next flush
        }
        // Server trouble or a lapsed sign-in: keep the item and retry; it is not the mark that is wrong.
        if (response.status >= 500 || response.status === 401) return;
        const answer = await response.json().catch(() => ({}));
        if (response.ok) {
          this.items = this.items.filter((other) => other !== item);
          this.save();
          if (this.onAccepted) this.onAccepted(item, answer);
        } else {
          item.state = "rejected";
          item.error = answer.message || response.statusText;
          this.save();
          if (this.onRejected) this.onRejected(item, answer);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}

// The tablet's outbox indicator: counts of unsynced and refused entries; a tap lists them, with
// the server's reason for each refusal and a button to dismiss it (the refused entry is not
// resent; the referee or contestant enters it again if it was a typo).
export function outboxView(element, dismiss) {
  const list = document.createElement("ol");
  list.className = "outbox-list";
  list.hidden = true;
  element.after(list);
  element.addEventListener("click", () => { list.hidden = !list.hidden; });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-dismiss]");
    if (button) dismiss(button.dataset.dismiss);
  });
  const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  return (items) => {
    const waiting = items.filter((i) => i.state === "unsynced").length;
    const rejected = items.filter((i) => i.state === "rejected").length;
    element.dataset.pending = waiting;
    element.dataset.rejected = rejected;
    const parts = [];
    if (waiting) parts.push(english() ? `${waiting} unsynced` : `未同步 ${waiting} 条 · ${waiting} unsynced`);
    if (rejected) parts.push(english() ? `${rejected} refused` : `被拒 ${rejected} 条 · ${rejected} refused`);
    element.textContent = parts.length ? parts.join(" · ") : tr("已同步", "All synced");
    element.className = "outbox" + (waiting ? " waiting" : "") + (rejected ? " rejected" : "");
    list.innerHTML = items.map((item) => `<li class="${item.state}">
      <b>${esc(item.label)}</b> ${esc(item.body.contestant || "")}
      ${item.state === "rejected"
        ? `<span class="why">${esc(item.error)}</span>
           <button type="button" data-dismiss="${esc(item.body.idempotency_key)}">${tr("移除", "Dismiss")}</button>`
        : `<span class="tag unsynced">${tr("未同步", "Unsynced")}</span>`}</li>`).join("")
      || `<li class="empty">${tr("没有待发送的记录", "Nothing waiting")}</li>`;
  };
}
