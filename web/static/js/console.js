// The staff console: contest commands, set-up forms and roster upload, all through the REST API.
import { csrfToken } from "./live.js";
import { english, tr } from "./i18n.js";
import { formBody, send, showError } from "./api.js";

// Messages that carry data are given in one language, not twice.
const say = (zh, en) => (english() ? en : zh);

const message = (text) => { document.getElementById("console-message").textContent = text; };

function wireApiForms() {
  document.querySelectorAll("form.api").forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = formBody(form);
    if ("ruleset_file" in form.elements) {
      delete body.ruleset_file;
      if (!body.ruleset) {
        delete body.ruleset;
        const file = form.elements.ruleset_file.files[0];
        if (!file) { showError(form, { field: "ruleset_file", message: tr("请选择规则文件", "Choose a rule set file") }); return; }
        body.ruleset_text = await file.text();
      }
    }
    if (form.dataset.url.endsWith("/extra-time")) body.idempotency_key = `extra-${crypto.randomUUID()}`;
    const { ok, answer } = await send(form.dataset.method, form.dataset.url, body);
    if (!ok) { showError(form, answer); return; }
    location.reload();
  }));
  // Choosing "upload a file" in the rule set list shows the file input.
  document.querySelectorAll("form[data-ruleset-form]").forEach((form) => {
    const select = form.elements.ruleset;
    const toggle = () => { form.querySelector(".ruleset-file").hidden = select.value !== ""; };
    select.addEventListener("change", toggle);
    toggle();
  });
}

function wireCommands() {
  document.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", async () => {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const { action, contest, site } = button.dataset;
    const body = { idempotency_key: `${action}-${contest}-${crypto.randomUUID()}` };
    if (site) body.site = site;
    if ("askReason" in button.dataset) {
      const reason = window.prompt(tr("暂停原因", "Reason for the pause"), "");
      if (reason === null) return;
      body.reason = reason;
    }
    const { ok, answer } = await send("POST", `/api/v1/contests/${encodeURIComponent(contest)}/${action}`, body);
    message(ok ? `${action}: OK` : answer.message);
    if (ok) location.reload();
  }));
}

// Revoking a big-screen link cuts its screens off at once; the list reloads without it.
function wireRevokeLinks() {
  document.querySelectorAll("button.revoke-link").forEach((button) => button.addEventListener("click", async () => {
    if (!window.confirm(button.dataset.confirm)) return;
    const { ok, answer } = await send("DELETE", button.dataset.url);
    message(ok ? say("已撤销大屏链接", "Screen link revoked") : answer.message);
    if (ok) location.reload();
  }));
}

function wireRosterUpload() {
  document.querySelectorAll("form.roster").forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = form.querySelector(".roster-errors");
    list.innerHTML = "";
    const response = await fetch(`/api/v1/contests/${encodeURIComponent(form.dataset.contest)}/roster`, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }, body: new FormData(form) });
    const answer = await response.json();
    if (response.ok) {
      message(say(`已导入 ${answer.contestants} 名选手、${answer.referees} 名裁判`,
                 `Imported ${answer.contestants} contestants, ${answer.referees} referees`));
      location.reload();
      return;
    }
    for (const row of answer.rows || [{ sheet: "", row: "", column: "", message: answer.message }]) {
      const item = document.createElement("li");
      item.textContent = row.sheet ? say(`${row.sheet} 第${row.row}行「${row.column}」: ${row.message}`,
                                        `${row.sheet} row ${row.row}, column ${row.column}: ${row.message}`)
                                   : row.message;
      list.append(item);
    }
  }));
}

export function startConsole() {
  wireApiForms();
  wireCommands();
  wireRosterUpload();
  wireRevokeLinks();
}
