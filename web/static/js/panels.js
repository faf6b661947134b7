// Panel assignment: per site, a grid of aspects × the site's referees; each row saved on its own.
import { csrfToken } from "./live.js";
import { english, tr, trHtml } from "./i18n.js";

const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const KINDS = { judgement: ["评判", "judgement"], measurement: ["测量", "measurement"] };

export async function startPanels(root) {
  const contest = root.dataset.contest;
  const url = `/api/v1/contests/${encodeURIComponent(contest)}/panels`;

  async function load() {
    const response = await fetch(url, { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) { root.textContent = data.message; return; }
    root.innerHTML = data.sites.map(siteTable).join("") ||
      `<p class="empty">${trHtml("还没有赛点", "No sites yet")}</p>`;
  }

  function siteTable(site) {
    if (!site.referees.length) {
      return `<section class="card"><h2>${esc(site.name)} <small>${esc(site.code)}</small></h2>
        <p class="empty">${trHtml("本赛点还没有裁判：请在控制台导入名单", "No referees at this site yet: import the roster in the console")}</p></section>`;
    }
    const head = site.referees.map((r) => `<th title="${esc(r.enterprise || "")}">${esc(r.name)}<br><small>${esc(r.code)}</small></th>`).join("");
    const rows = site.panels.map((p) => {
      const cells = site.referees.map((r) => {
        const why = p.blocked[r.code];
        const seat = p.referees.indexOf(r.code);
        return `<td class="seat${why ? " blocked" : ""}" title="${esc(why || "")}">
          <input type="checkbox" aria-label="${esc(r.code)} ${esc(p.aspect)}" value="${esc(r.code)}"
            ${seat >= 0 ? "checked" : ""} ${why && seat < 0 ? "disabled" : ""}>${seat >= 0 ? `<small>${seat + 1}</small>` : ""}</td>`;
      }).join("");
      const kind = KINDS[p.kind] || [p.kind, p.kind];
      return `<tr data-site="${esc(site.code)}" data-aspect="${esc(p.aspect)}" data-seats="${p.seats}">
        <td><strong>${esc(p.aspect)}</strong> ${esc(p.name)}<br><small>${tr(...kind)} · ${tr("席位", "seats")} ${p.seats}</small></td>
        ${cells}
        <td><button type="button" class="save" disabled>${trHtml("保存", "Save")}</button> <span class="error"></span></td></tr>`;
    }).join("");
    return `<section class="card"><h2>${esc(site.name)} <small>${esc(site.code)}</small>
      <button type="button" class="fill" data-site="${esc(site.code)}">${trHtml("自动补齐空缺裁判组", "Fill empty panels")}</button></h2>
      <p class="fill-result" data-site="${esc(site.code)}"></p>
      <table class="grid panels"><thead><tr><th>${trHtml("评分项", "Aspect")}</th>${head}<th></th></tr></thead>
      <tbody>${rows}</tbody></table></section>`;
  }

  root.addEventListener("change", (event) => {
    const row = event.target.closest("tr[data-aspect]");
    if (!row) return;
    const chosen = row.querySelectorAll("input:checked").length;
    row.classList.add("changed");
    row.querySelector(".save").disabled = false;
    row.querySelector(".error").textContent = chosen > Number(row.dataset.seats)
      ? tr(`最多 ${row.dataset.seats} 人`, `at most ${row.dataset.seats}`) : "";
  });

  root.addEventListener("click", async (event) => {
    const fill = event.target.closest("button.fill");
    if (fill) { await fillEmpty(fill.dataset.site); return; }
    const button = event.target.closest("button.save");
    if (!button) return;
    const row = button.closest("tr");
    const body = {
      site: row.dataset.site, aspect: row.dataset.aspect,
      referees: [...row.querySelectorAll("input:checked")].map((i) => i.value),
      idempotency_key: `panel-${crypto.randomUUID()}`,
    };
    if (root.dataset.status === "running") {
      const reason = window.prompt(tr("比赛进行中调整裁判组，请填写原因", "The contest is running: why change this panel?"), "");
      if (reason === null) return;
      body.reason = reason;
    }
    const response = await fetch(url, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) { row.querySelector(".error").textContent = answer.message; return; }
    document.getElementById("console-message").textContent = english()
      ? `Saved: ${body.aspect} at ${body.site}` : `已保存 ${body.site} · ${body.aspect}`;
    await load();
  });

  async function fillEmpty(site) {
    const body = { site, idempotency_key: `fill-${crypto.randomUUID()}` };
    if (root.dataset.status === "running") {
      const reason = window.prompt(tr("比赛进行中补齐裁判组，请填写原因", "The contest is running: why fill these panels now?"), "");
      if (reason === null) return;
      body.reason = reason;
    }
    const response = await fetch(`${url}/fill`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }, body: JSON.stringify(body) });
    const answer = await response.json();
    await load();
    const out = root.querySelector(`.fill-result[data-site="${CSS.escape(site)}"]`);
    if (!response.ok) { out.textContent = answer.message; out.className = "fill-result error"; return; }
    const left = Object.entries(answer.unfilled).map(([aspect, why]) => `${aspect}: ${why}`).join("; ");
    out.textContent = (english() ? `Filled ${answer.filled.length} panels.` : `已补齐 ${answer.filled.length} 个裁判组。`) +
      (left ? (english() ? ` Not filled: ${left}` : ` 未能补齐：${left}`) : "");
  }

  await load();
}
