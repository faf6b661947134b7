// Matching pages: needs, the team inbox (live), the staff console, the bounty board. Every action
// is an API call; the page then reloads (or, in the inbox, re-reads) what changed.
/* global io */
import { tr } from "./i18n.js";
import { send, showError } from "./api.js";

// A form's fields as JSON: multiple selects as lists, data-number as numbers, data-bool as booleans,
// data-list fields gathered in order into one list of numbers (志愿 1, 2, 3… with blanks skipped),
// data-nullable fields sent as null when empty (to clear a date).
function bodyOf(form) {
  const body = {};
  for (const element of form.elements) {
    if (!element.name || element.disabled) continue;
    if ("list" in element.dataset) {
      body[element.name] = body[element.name] || [];
      if (element.value !== "") body[element.name].push(Number(element.value));
      continue;
    }
    if (element.multiple) { body[element.name] = [...element.selectedOptions].map((o) => o.value); continue; }
    if ("bool" in element.dataset) { body[element.name] = element.checked; continue; }
    if (element.value === "" && "nullable" in element.dataset) { body[element.name] = null; continue; }
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

// 师带徒: propose pairs for the chosen apprentices and masters, then sign them one by one.
export function pairingProposals(form) {
  const names = JSON.parse(form.dataset.names);
  const out = document.getElementById("proposals");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = (name) => [...form.elements.namedItem(name).selectedOptions].map((o) => Number(o.value));
    const body = { apprentice_ids: ids("apprentice_ids"), master_ids: ids("master_ids"),
                   capacity: Number(form.elements.namedItem("capacity").value) };
    out.innerHTML = `<p class="empty">${tr("计算中…", "Working…")}</p>`;
    const { ok, answer } = await send("POST", "/api/v1/pairings/proposals", body);
    if (!ok) { out.innerHTML = ""; showError(form, answer); return; }
    form.querySelector(".form-error").textContent = "";
    out.innerHTML = answer.length ? `<table class="grid"><thead><tr><th>${tr("徒弟", "Apprentice")}</th>
      <th>${tr("师傅", "Master")}</th><th>${tr("补短板程度", "Fit")}</th><th>${tr("各维度（差距 → 师傅可补）", "Per dimension (gap → covered)")}</th>
      <th></th></tr></thead><tbody>${answer.map((p) => `<tr data-apprentice="${p.apprentice_id}" data-master="${p.master_id}">
        <td>${esc(names[p.apprentice_id])}</td><td>${esc(names[p.master_id])}</td><td>${Math.round(p.fit * 100)}%</td>
        <td>${p.dimensions.map((d) => `${esc(d.dimension)} ${d.gap} → ${d.covered}`).join("；")}</td>
        <td><button class="primary sign">${tr("签约结对", "Sign")}</button> <span class="error" role="alert"></span></td></tr>`).join("")}
      </tbody></table>` : `<p class="empty">${tr("没有可补短板的结对（画像证据不足或同工种无合适师傅）",
                                                  "No pair covers a gap (too little portrait evidence, or no master fits)")}</p>`;
    out.querySelectorAll("button.sign").forEach((button) => button.addEventListener("click", async () => {
      const row = button.closest("tr");
      const signed = await send("POST", "/api/v1/pairings", { master_id: Number(row.dataset.master),
                                                              apprentice_id: Number(row.dataset.apprentice) });
      if (!signed.ok) { row.querySelector(".error").textContent = signed.answer.message; return; }
      button.replaceWith(Object.assign(document.createElement("strong"), { textContent: tr("已签约", "Signed") }));
      row.dataset.signed = "1";
      const pair = signed.answer;
      const list = document.querySelector("#signed tbody");
      list.querySelector(".empty")?.closest("tr").remove();
      list.insertAdjacentHTML("afterbegin", `<tr><td>${esc(pair.master)}</td><td>${esc(pair.apprentice)}</td>
        <td>${esc(pair.trade)}</td><td>${esc(pair.since)}</td></tr>`);
    }));
  });
}
