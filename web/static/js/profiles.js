// Profile pages: the portrait radar, post-standard forms, selection applications and reviews.
/* global echarts */
import { english, tr } from "./i18n.js";
import { formBody, send, showError } from "./api.js";
import { csrfToken } from "./live.js";

// The radar shows each dimension's score between its 95% bounds; a dimension with too little
// evidence has no point at all (ECharts draws "-" as a gap) and is named as such on its axis.
export function drawPortrait(element) {
  const portrait = JSON.parse(element.dataset.portrait);
  const dims = portrait.dimensions;
  if (!dims.length) { element.textContent = tr("暂无画像数据", "No portrait data yet"); return; }
  const value = (key) => dims.map((d) => (d.sufficient ? d[key] : "-"));
  const insufficient = tr("证据不足", "insufficient evidence");
  const chart = echarts.init(element);
  const series = [
    { name: tr("区间上界", "Upper bound"), value: value("high"), lineStyle: { type: "dashed", color: "#9aa3b5" },
      itemStyle: { color: "#9aa3b5" }, symbolSize: 3 },
    { name: tr("得分", "Score"), value: value("score"), areaStyle: { color: "rgba(192,57,43,.18)" },
      lineStyle: { color: "#c0392b", width: 2 }, itemStyle: { color: "#c0392b" } },
    { name: tr("区间下界", "Lower bound"), value: value("low"), lineStyle: { type: "dashed", color: "#9aa3b5" },
      itemStyle: { color: "#9aa3b5" }, symbolSize: 3 },
  ];
  if (portrait.gaps.length) {
    const required = Object.fromEntries(portrait.gaps.map((g) => [g.dimension, g.required]));
    series.push({ name: tr("岗位要求", "Post requires"), value: dims.map((d) => required[d.dimension] ?? "-"),
                  lineStyle: { color: "#1d2433", type: "dotted", width: 2 }, itemStyle: { color: "#1d2433" }, symbol: "rect" });
  }
  chart.setOption({
    animation: false,
    legend: { bottom: 0, data: series.map((s) => s.name) },
    tooltip: {},
    radar: {
      radius: "62%",
      indicator: dims.map((d) => ({ name: d.sufficient ? d.dimension : `${d.dimension}\n(${insufficient})`, max: 100 })),
      axisName: { color: "#1d2433", fontSize: 13 },
    },
    series: [{ type: "radar", data: series }],
  });
  window.addEventListener("resize", () => chart.resize());
}

// Forms that call the API and reload on success (post standards, applications, opening a round).
export function wireForms() {
  document.querySelectorAll("form.api").forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body = formBody(form);
    if ("standard" in form.dataset) {
      // One number input per dimension, named "required.<dimension>": sent as {required: {…}}.
      const required = {};
      for (const [name, level] of Object.entries(body)) required[name.replace(/^required\./, "")] = Number(level);
      body = { required };
    }
    const { ok, answer } = await send(form.dataset.method, form.dataset.url, body);
    if (!ok) { showError(form, answer); return; }
    location.reload();
  }));
}

// Review buttons on the selection page: approve, or return with a reason the applicant can act on.
export function wireReviews() {
  document.querySelectorAll("[data-review]").forEach((button) => button.addEventListener("click", async () => {
    const { review, application, department } = button.dataset;
    let reason = "";
    if (review === "return") {
      reason = window.prompt(tr(`${department}退回原因`, `Why ${department} returns it`), "");
      if (reason === null) return;
    }
    const { ok, answer } = await send("POST", `/api/v1/selection/applications/${application}/reviews`,
                                      { department, decision: review, reason });
    if (!ok) { document.getElementById("selection-message").textContent = answer.message; return; }
    location.reload();
  }));
  document.querySelectorAll("[data-close-round]").forEach((button) => button.addEventListener("click", async () => {
    if (!window.confirm(english() ? "Close the round and publish the result?" : "截止并公布遴选结果？")) return;
    const { ok, answer } = await send("POST", `/api/v1/selection/rounds/${button.dataset.closeRound}/close`, {});
    if (!ok) { document.getElementById("selection-message").textContent = answer.message; return; }
    location.reload();
  }));
}

// Worker import: the file goes up as multipart; a refusal lists every bad cell by sheet, row, column.
export function wireWorkerImport() {
  document.querySelectorAll("form.worker-import").forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = form.parentElement.querySelector(".import-errors");
    const result = form.querySelector(".import-result");
    list.innerHTML = "";
    const response = await fetch("/api/v1/workers/import", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }, body: new FormData(form) });
    const answer = await response.json();
    if (response.ok) {
      result.textContent = english()
        ? `Imported: ${answer.workers_created} new, ${answer.workers_updated} updated, ${answer.certificates} certificates`
        : `已导入：新增 ${answer.workers_created} 人，更新 ${answer.workers_updated} 人，证书 ${answer.certificates} 张`;
      return;
    }
    for (const row of answer.rows || [{ sheet: "", row: "", column: "", message: answer.message }]) {
      const item = document.createElement("li");
      item.textContent = row.sheet && row.sheet !== "-"
        ? (english() ? `${row.sheet} row ${row.row}, column ${row.column}: ${row.message}`
                     : `${row.sheet} 第${row.row}行「${row.column}」：${row.message}`)
        : row.message;
      list.append(item);
    }
  }));
}
