// The contestant's tablet: stage and server-clock countdown, objective items, own progress only.
import { english, tr } from "./i18n.js";
import { LiveFeed, ServerClock, indicator } from "./live.js";
import { Outbox, outboxView } from "./outbox.js";

const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const STATUS = { not_started: tr("未开始", "Not started"), in_progress: tr("进行中", "In progress"), cleared: tr("已通过", "Cleared"),
                 failed: tr("未通过", "Failed"), locked: tr("未解锁", "Locked") };

export async function startContestantTablet(config) {
  const base = `/api/v1/contests/${encodeURIComponent(config.contest)}`;
  const clock = new ServerClock();
  await clock.sync();
  setInterval(() => clock.sync(3), 60000);
  let sheet = null;
  let items = [];

  const showOutbox = outboxView(document.getElementById("outbox"), (key) => { outbox.dismiss(key); renderItems(); });
  const outbox = new Outbox(`contestant:${config.contestant}`, {
    onChange: (list) => showOutbox(list),
    onAccepted: (item, answer) => { if (answer.sheet) { sheet = answer.sheet; } load(); },
    onRejected: () => renderItems(),
  });

  async function load() {
    const [s, i] = await Promise.all([
      fetch(`${base}/sheets/${encodeURIComponent(config.ticket)}`, { credentials: "same-origin" }),
      fetch(`${base}/items`, { credentials: "same-origin" }),
    ]).catch(() => [null, null]);
    if (s && s.ok) sheet = await s.json();
    if (i && i.ok) items = (await i.json()).items;
    renderSheet();
    renderItems();
  }

  function currentStage() {
    return sheet && sheet.stages.find((st) => st.status === "in_progress");
  }

  function renderSheet() {
    if (!sheet) return;
    document.getElementById("my-total").textContent = sheet.total;
    const next = sheet.stages.find((st) => st.status === "not_started");
    const running = currentStage();
    document.getElementById("stages").innerHTML = sheet.stages.map((st) => `
      <li data-stage="${esc(st.code)}" data-status="${st.status}">${esc(st.code)} · ${STATUS[st.status] || st.status}
        ${st.status === "cleared" || st.status === "failed" ? ` · ${esc(st.score)}/${esc(st.max)}` : ""}
        ${running && running.code === st.code ? `<button data-finish="${esc(st.code)}" class="primary">${tr("完成本关", "Finish")}</button>` : ""}
        ${!running && next && next.code === st.code ? `<button data-start="${esc(st.code)}" class="primary">${tr("开始本关", "Start")}</button>` : ""}</li>`).join("");
    document.querySelectorAll("[data-start]").forEach((b) => b.addEventListener("click", () => outbox.add(`${base}/stages/${b.dataset.start}/start`, {}, tr("开始", "Start"), "stage")));
    document.querySelectorAll("[data-finish]").forEach((b) => b.addEventListener("click", () => outbox.add(`${base}/stages/${b.dataset.finish}/finish`, {}, tr("完成", "Finish"), "stage")));
  }

  function renderItems() {
    const element = document.getElementById("items");
    if (!items.length) { element.innerHTML = `<p class="empty">${tr("本关无客观题 ·", "No objective items in the stages you have started")}</p>`; return; }
    element.innerHTML = items.map((item) => {
      const waiting = outbox.items.find((o) => o.body.aspect === item.code);
      const state = waiting ? (waiting.state === "rejected" ? `<span class="tag warn">${esc(waiting.error)}</span>` : `<span class="tag unsynced">${tr("未同步", "Unsynced")}</span>`)
        : (item.answer !== null && item.answer !== undefined ? `<span class="tag ok">${tr("已作答", "Answered")}</span>` : "");
      let input;
      if (item.item === "true_false") {
        input = `<div class="scores">${[true, false].map((v) => `<button data-item="${esc(item.code)}" data-value="${v}" class="score ${item.answer === v ? "on" : ""}">${v ? tr("对", "True") : tr("错", "False")}</button>`).join("")}</div>`;
      } else if (item.item === "numeric") {
        input = `<form data-item="${esc(item.code)}"><input name="answer" inputmode="decimal" value="${esc(item.answer ?? "")}"><button class="primary">${tr("提交", "Submit")}</button></form>`;
      } else {
        const multiple = item.item === "multiple";
        input = item.options.map((o) => {
          const label = o.split(".", 1)[0].trim();
          const on = multiple ? (item.answer || []).includes(label) : item.answer === label;
          return `<label class="option"><input type="${multiple ? "checkbox" : "radio"}" name="${esc(item.code)}" value="${esc(label)}" ${on ? "checked" : ""}> ${esc(o)}</label>`;
        }).join("") + `<button data-choose="${esc(item.code)}" class="primary">${tr("提交", "Submit")}</button>`;
      }
      return `<div class="card item" data-item-card="${esc(item.code)}"><h3>${esc(item.code)} ${esc(item.question || item.name)} ${state}</h3>${input}</div>`;
    }).join("");
    const answer = (code, value) => outbox.add(`${base}/answers`, { aspect: code, answer: value }, `${tr("答题", "Answer")} ${code}`, "answer");
    element.querySelectorAll("button[data-value]").forEach((b) => b.addEventListener("click", () => answer(b.dataset.item, b.dataset.value === "true")));
    element.querySelectorAll("form[data-item]").forEach((f) => f.addEventListener("submit", (e) => { e.preventDefault(); answer(f.dataset.item, f.answer.value); }));
    element.querySelectorAll("button[data-choose]").forEach((b) => b.addEventListener("click", () => {
      const picked = [...element.querySelectorAll(`input[name="${b.dataset.choose}"]:checked`)].map((i) => i.value);
      const item = items.find((i) => i.code === b.dataset.choose);
      answer(b.dataset.choose, item.item === "multiple" ? picked : picked[0]);
    }));
  }

  // The countdown follows the server clock: started_at is the server's, and now() is corrected.
  setInterval(() => {
    const running = currentStage();
    const element = document.getElementById("countdown");
    if (!running || !(running.deadline || running.paused)) { element.textContent = "--:--"; element.dataset.remaining = ""; return; }
    // The server sends the deadline with pauses and extra time already given back; while paused,
    // the time left stands still.
    const left = running.paused ? running.remaining_s : Math.round((Date.parse(running.deadline) - clock.now()) / 1000);
    element.dataset.paused = running.paused ? "yes" : "no";
    const shown = Math.abs(left);
    element.textContent = `${left < 0 ? (english() ? "Overtime +" : "超时 +") : ""}${String(Math.floor(shown / 60)).padStart(2, "0")}:${String(shown % 60).padStart(2, "0")}`;
    element.dataset.remaining = left;
    document.getElementById("stage-name").textContent = running.paused ? `${running.code} · ${tr("暂停", "Paused")}` : running.code;
  }, 250);

  setInterval(load, 15000);  // pauses and extra time change the deadline: refresh now and then
  const feed = new LiveFeed({
    contest: config.contest, scope: "contestant", contestant: config.contestant,
    onStatus: (state) => { indicator(document.getElementById("connection"))(state); if (state === "live") outbox.flush(); },
    onState: (f) => { if (f.row) document.getElementById("my-total").textContent = f.row.total; },
  });
  window.jxClock = clock;
  showOutbox(outbox.items);
  window.jxOutbox = outbox;
  window.jxFeed = feed;
  await load();
}
