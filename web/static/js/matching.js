// Matching pages: needs, the team inbox (live), the staff console, the bounty board. Every action
// is an API call; the page then reloads (or, in the inbox, re-reads) what changed.
/* global io */
import { tr } from "./i18n.js";
import { send, showError } from "./api.js";

// A form's fields as JSON: multiple selects as lists, data-number as numbers, data-bool as booleans.
function bodyOf(form) {
  const body = {};
  for (const element of form.elements) {
    if (!element.name || element.disabled) continue;
    if (element.multiple) { body[element.name] = [...element.selectedOptions].map((o) => o.value); continue; }
    if ("bool" in element.dataset) { body[element.name] = element.checked; continue; }
    if (element.value === "" && !element.required) continue;
    body[element.name] = element.type === "number" || "number" in element.dataset ? Number(element.value) : element.value;
  }
  return body;
}

export function wireMatching() {
  document.querySelectorAll("form.api").forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { ok, answer } = await send(form.dataset.method, form.dataset.url, bodyOf(form));
    if (!ok) { showError(form, answer); return; }
    location.reload();
  }));
  document.querySelectorAll("button.act").forEach((button) => button.addEventListener("click", async () => {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
    if (button.dataset.reason) {
      const reason = window.prompt(button.dataset.reason);
      if (reason === null) return;
      body.reason = reason;
    }
    const { ok, answer } = await send(button.dataset.method || "POST", button.dataset.url, body);
    if (!ok) { window.alert(answer.message || tr("请求失败", "Request failed")); return; }
    location.reload();
  }));
  document.querySelectorAll("select.pin-team").forEach((select) => select.addEventListener("change", async () => {
    if (!select.value) return;
    const reason = window.prompt(tr("指定理由", "Reason to pin")) ?? "";
    const need = Number(select.closest("tr").dataset.need);
    const { ok, answer } = await send("POST", "/api/v1/matching/rules",
                                      { need_id: need, team_id: Number(select.value), kind: "pin", reason });
    if (!ok) { window.alert(answer.message); return; }
    location.reload();
  }));
  document.body.dataset.wired = "1";  // the buttons work from now on (browser tests wait for it)
}

// Follow a matching room; call back on every message (and once joined, to catch up).
function follow(scope, id, onMessage, onStatus = () => {}) {
  const socket = io("/live", { transports: ["websocket"], reconnectionDelayMax: 3000 });
  const join = () => socket.timeout(10000).emit("join", { scope, id }, (err, answer) => {
    if (err || !answer || !answer.ok) { onStatus("reconnecting"); return; }
    onStatus("live");
    onMessage(null);
  });
  socket.on("connect", join);
  socket.on("disconnect", () => onStatus("reconnecting"));
  socket.on("matching", (message) => onMessage(message));
  return socket;
}

// A page that shows server-rendered rows reloads when something of its own changes.
export function reloadOn(scope, id) {
  let joined = false;
  follow(scope, id, (message) => {
    if (message === null) { if (joined) location.reload(); joined = true; return; }
    setTimeout(() => location.reload(), 300);
  });
}

const REPLIES = { accepted: tr("已接单", "accepted"), declined: tr("已婉拒", "declined"),
                  expired: tr("已过期", "expired"), withdrawn: tr("企业已撤回", "withdrawn") };
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function teamInbox(element) {
  const team = Number(element.dataset.team);
  const fields = JSON.parse(element.dataset.fields);
  const places = JSON.parse(element.dataset.places);
  const live = document.getElementById("live");
  let loading = null;
  async function load() {
    const response = await fetch(`/api/v1/teams/${team}/inbox`, { credentials: "same-origin" });
    if (!response.ok) return;
    const inbox = await response.json();
    element.innerHTML = inbox.pending.length ? inbox.pending.map((offer) => {
      const need = offer.need;
      const why = offer.reasons || {};
      return `<article class="offer" data-offer="${offer.id}">
        <h3>${esc(need.title)} <small>${esc(need.kind_name)} · ${esc(need.enterprise)}</small></h3>
        <p>${need.fields.map((f) => `<span class="tag">${esc(fields[f] || f)}</span>`).join("")}
          · ${esc(places[need.place] || need.place)} · ${tr("距离", "Distance")} ${esc(why.km)} km
          · ${tr("领域覆盖", "Coverage")} ${Math.round((why.coverage || 0) * 100)}%</p>
        <p>${esc(need.description)}</p>
        <p>${tr("答复截止", "Reply by")} <time>${esc(new Date(/(Z|[+-]\d\d:\d\d)$/.test(offer.deadline) ? offer.deadline : offer.deadline + "Z").toLocaleString())}</time></p>
        <button class="primary accept">${tr("接单", "Accept")}</button>
        <button class="decline">${tr("婉拒", "Decline")}</button> <span class="error" role="alert"></span>
      </article>`;
    }).join("") : `<p class="empty">${tr("暂无待接单的邀约", "No offers awaiting a reply")}</p>`;
    document.getElementById("serving").innerHTML = inbox.serving.length ? `<ul>${inbox.serving.map((n) =>
      `<li>${esc(n.title)} · ${esc(n.enterprise)} · ${esc(n.status_name)}</li>`).join("")}</ul>`
      : `<p class="empty">${tr("无", "None")}</p>`;
    document.getElementById("replied").innerHTML = inbox.replied.length ? `<ul>${inbox.replied.map((o) =>
      `<li>#${o.need_id} ${esc(REPLIES[o.status] || o.status)} ${esc(o.reply)}</li>`).join("")}</ul>` : `<p class="empty">${tr("无", "None")}</p>`;
    element.querySelectorAll("article.offer").forEach((card) => {
      const id = card.dataset.offer;
      const fail = (answer) => { card.querySelector(".error").textContent = answer.message || tr("请求失败", "Request failed"); };
      card.querySelector(".accept").addEventListener("click", async () => {
        const { ok, answer } = await send("POST", `/api/v1/offers/${id}/accept`, {});
        if (ok) refresh(); else fail(answer);
      });
      card.querySelector(".decline").addEventListener("click", async () => {
        const reason = window.prompt(tr("婉拒理由（必填）", "Why decline (required)"));
        if (!reason) return;
        const { ok, answer } = await send("POST", `/api/v1/offers/${id}/decline`, { reason });
        if (ok) refresh(); else fail(answer);
      });
    });
    element.dataset.loaded = String(Number(element.dataset.loaded || 0) + 1);
  }
  function refresh() { loading = (loading || Promise.resolve()).then(load); }
  follow("team", team, () => refresh(), (state) => {
    live.textContent = state === "live" ? tr("● 实时", "● live") : tr("○ 重连中", "○ reconnecting");
    live.dataset.state = state;
  });
}
