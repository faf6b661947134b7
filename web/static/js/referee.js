// The referee's tablet: assigned contestants and aspects, marks through the outbox, panel notices.
import { english, tr } from "./i18n.js";
import { LiveFeed, indicator } from "./live.js";
import { Outbox, outboxView } from "./outbox.js";

const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

export async function startRefereeTablet(config) {
  const base = `/api/v1/contests/${encodeURIComponent(config.contest)}`;
  let data = null;
  let current = null;   // ticket number shown
  const totals = {};
  // Readings typed but not yet submitted survive a re-render (assignments reload on reconnect).
  const drafts = {};

  const showOutbox = outboxView(document.getElementById("outbox"), (key) => { outbox.dismiss(key); render(); });
  const outbox = new Outbox(`referee:${config.referee}`, {
    onChange: showOutbox,
    onAccepted: (item, answer) => {
      if (answer.sheet && answer.sheet.contestant) totals[answer.sheet.contestant.ticket_no] = answer.sheet;
      const who = data && data.contestants.find((c) => c.ticket_no === item.body.contestant);
      if (who && item.body.aspect && item.kind !== "deduction") who.my_marks[item.body.aspect] = item.body.value;
      if (who && item.kind === "sign-off") who.signed_off = true;
      render();
    },
    onRejected: () => render(),
  });

  async function load() {
    const response = await fetch(`${base}/assignments`, { credentials: "same-origin" });
    if (!response.ok) return;
    data = await response.json();
    render();
  }

  function pendingFor(ticket, aspect) {
    return outbox.items.find((i) => i.body.contestant === ticket && i.body.aspect === aspect);
  }

  function render() {
    if (!data) return;
    document.getElementById("contestants").innerHTML = data.contestants.map((c) => `
      <button class="pick ${c.ticket_no === current ? "on" : ""}" data-ticket="${esc(c.ticket_no)}">
        <b>${esc(c.ticket_no)}</b> ${esc(c.name)} <small>${tr("工位", "Station")} ${esc(c.station)}</small>
        ${c.signed_off ? `<span class="tag">${tr("已签字", "Signed")}</span>` : ""}
        ${c.blocked.length ? `<span class="tag warn">${tr("分差超限", "Spread")}</span>` : ""}</button>`).join("");
    document.querySelectorAll("button.pick").forEach((b) => b.addEventListener("click", () => { current = b.dataset.ticket; render(); }));
    const who = data.contestants.find((c) => c.ticket_no === current);
    const sheet = document.getElementById("sheet");
    if (!who) return;
    const total = totals[who.ticket_no] ? totals[who.ticket_no].total : who.total;
    sheet.innerHTML = `
      <h2>${esc(who.ticket_no)} ${esc(who.name)} <small>${tr("当前总分", "Running total")} <b id="running-total">${esc(total)}</b></small></h2>
      ${data.aspects.map((a) => aspectCard(who, a)).join("")}
      <div class="card"><h3>${english() ? "Deduction" : "扣分 <small>Deduction</small>"}</h3>
        <select id="deduction">${data.deductions.map((d) => `<option value="${esc(d.code)}">${esc(d.name)}</option>`).join("")}</select>
        <input id="deduction-note" placeholder="${english() ? "Note (required)" : "说明 Note (必填 required)"}">
        <button id="deduct" class="warn">${tr("记录扣分", "Record")}</button></div>
      <div class="card"><button id="sign-off" class="primary" ${who.signed_off ? "disabled" : ""}>
        ${who.signed_off ? tr("已签字", "Signed off") : tr("签字确认", "Sign off this sheet")}</button></div>`;
    sheet.querySelectorAll("[data-score]").forEach((b) => b.addEventListener("click", () => submit(who, b.dataset.aspect, Number(b.dataset.score))));
    sheet.querySelectorAll("[data-option]").forEach((b) => b.addEventListener("click", () => submit(who, b.dataset.aspect, b.dataset.option === "pass" ? true : b.dataset.option === "fail" ? false : b.dataset.option)));
    sheet.querySelectorAll("form.measure").forEach((f) => {
      const input = f.querySelector("input[name=value]");
      const draftKey = `${who.ticket_no}|${f.dataset.aspect}`;
      input.addEventListener("input", () => {
        drafts[draftKey] = input.value;
        preview(f.dataset.aspect, input.value, f.querySelector(".preview"));
      });
      if (drafts[draftKey]) preview(f.dataset.aspect, drafts[draftKey], f.querySelector(".preview"));
      f.addEventListener("submit", (e) => {
        e.preventDefault();
        if (input.value === "") return;
        delete drafts[draftKey];
        submit(who, f.dataset.aspect, input.value);
      });
    });
    document.getElementById("deduct").addEventListener("click", () => {
      const note = document.getElementById("deduction-note").value.trim();
      if (!note) { document.getElementById("deduction-note").focus(); return; }
      outbox.add(`${base}/deductions`, { contestant: who.ticket_no, deduction: document.getElementById("deduction").value, count: 1, note }, tr("扣分", "Deduction"), "deduction");
    });
    document.getElementById("sign-off").addEventListener("click", () => {
      outbox.add(`${base}/sign-offs`, { contestant: who.ticket_no }, tr("签字", "Sign-off"), "sign-off");
    });
  }

  function aspectCard(who, aspect) {
    const mine = who.my_marks[aspect.code];
    const waiting = pendingFor(who.ticket_no, aspect.code);
    const state = waiting ? (waiting.state === "rejected" ? `<span class="tag warn">${tr("被拒", "Rejected")}: ${esc(waiting.error)}</span>` : `<span class="tag unsynced">${tr("未同步", "Unsynced")}</span>`)
      : (mine !== undefined ? `<span class="tag ok">${tr("已评", "Marked")}: ${esc(mine)}</span>` : "");
    let input;
    if (aspect.stage && !who.started_stages.includes(aspect.stage)) {
      return `<div class="card aspect locked" data-aspect="${esc(aspect.code)}"><h3>${esc(aspect.code)} ${esc(aspect.name)} <small>${esc(aspect.stage)} ${english() ? "not started" : "未开始 · stage not started"}</small></h3></div>`;
    }
    if (aspect.kind === "judgement") {
      input = `<div class="scores">${aspect.descriptors.map((text, score) => `
        <button data-aspect="${esc(aspect.code)}" data-score="${score}" class="score ${String(mine) === String(score) ? "on" : ""}">
          <b>${score}</b><span>${esc(text.replace(/^\d+\s*/, ""))}</span></button>`).join("")}</div>`;
    } else if (aspect.options.length) {
      input = `<div class="scores">${aspect.options.map((o) => `<button data-aspect="${esc(aspect.code)}" data-option="${esc(o)}" class="score">
        ${esc(o === "pass" ? tr("合格", "Pass") : o === "fail" ? tr("不合格", "Fail") : o)}</button>`).join("")}</div>`;
    } else {
      input = `<form class="measure" data-aspect="${esc(aspect.code)}"><input name="value" inputmode="decimal" value="${esc(drafts[`${who.ticket_no}|${aspect.code}`] || "")}" placeholder="${tr("实测值", "Reading")} ${esc(aspect.unit || "")}">
        <span class="preview"></span><button type="submit" class="primary">${tr("提交", "Submit")}</button></form>`;
    }
    return `<div class="card aspect" data-aspect="${esc(aspect.code)}"><h3>${esc(aspect.code)} ${esc(aspect.name)} <small>${tr("满分", "Max")} ${esc(aspect.max)}</small> ${state}</h3>${input}</div>`;
  }

  let previewTimer = null;
  function preview(aspect, value, element) {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      if (value === "") { element.textContent = ""; return; }
      const response = await fetch(`${base}/preview`, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content },
        body: JSON.stringify({ aspect, value }) }).catch(() => null);
      if (!response) { element.textContent = tr("离线", "Offline"); return; }
      const answer = await response.json();
      element.textContent = response.ok ? `${tr("得分", "Marks")}: ${answer.marks}` : answer.message;
    }, 250);
  }

  function submit(who, aspect, value) {
    const already = who.my_marks[aspect] !== undefined;
    if (already) {
      const reason = window.prompt(english() ? "A correction needs a reason" : "更正需要理由 · A correction needs a reason");
      if (!reason) return;
      outbox.add(`${base}/corrections`, { contestant: who.ticket_no, aspect, value, reason }, `${tr("更正", "Correction")} ${aspect}`);
    } else {
      outbox.add(`${base}/marks`, { contestant: who.ticket_no, aspect, value }, `${tr("评分", "Mark")} ${aspect}`);
    }
    render();
  }

  const notices = document.getElementById("notices");
  const feed = new LiveFeed({
    contest: config.contest, scope: "referee",
    onStatus: (state) => { indicator(document.getElementById("connection"))(state); if (state === "live") { outbox.flush(); load(); } },
    onNotice: (notice) => {
      const div = document.createElement("div");
      div.className = "notice";
      div.dataset.kind = notice.kind;
      if (notice.kind === "panel_assigned") {
        const me = data && data.referee.code;
        const [zh, en] = !notice.payload.before.includes(me) ? ["您已加入本评分项裁判组", "you now mark this aspect"]
          : !notice.payload.after.includes(me) ? ["您已不再评此项", "you no longer mark this aspect"]
          : ["本评分项裁判组有调整", "this aspect's panel changed"];
        div.textContent = `ℹ ${notice.aspect_code}: ` + (english() ? `${en} (${notice.payload.reason})`
          : `${zh}（${notice.payload.reason}）· ${en}`);
      } else {
        div.textContent = `⚠ ${notice.ticket_no} ${notice.aspect_code}: ` + (english()
          ? `panel spread ${notice.payload.spread} is above the allowed ${notice.payload.max_spread}; re-mark or wait for the chief referee`
          : `评分差 ${notice.payload.spread} 超过允许的 ${notice.payload.max_spread}，请复评或等待裁判长 · Panel spread breached: re-mark or wait for the chief referee`);
      }
      notices.prepend(div);
      load();
    },
  });
  window.jxOutbox = outbox;
  window.jxFeed = feed;
  showOutbox(outbox.items);
  await load();
}
