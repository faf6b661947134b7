// The big screen: live ranking (ECharts, rank changes animated), board table, level progress.
/* global echarts */
import { english, tr } from "./i18n.js";
import { LiveFeed, ServerClock, indicator } from "./live.js";

const TOP = 15;
const STATUS_NAMES = { in_progress: tr("进行中", "In progress"), not_started: tr("未开始", "Not started"),
                       failed: tr("未通过", "Failed"), cleared: tr("已通过", "Cleared"), finished: tr("全部通关", "All cleared") };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export function startScreen(config) {
  const siteNames = Object.fromEntries(config.sites.map((s) => [s.id, s.name]));
  const stageNames = Object.fromEntries(config.stages.map((s) => [s.code, s.name]));
  const ranking = echarts.init(document.getElementById("ranking"), null, { renderer: "canvas" });
  const progressElement = document.getElementById("progress");
  const progress = progressElement ? echarts.init(progressElement) : null;
  const clock = new ServerClock();
  clock.sync();
  setInterval(() => clock.sync(3), 60000);
  setInterval(() => {
    document.getElementById("clock").textContent = new Date(clock.now()).toLocaleTimeString(english() ? "en-GB" : "zh-CN", { hour12: false });
  }, 250);
  if (config.status === "finalized") document.getElementById("unofficial").hidden = true;

  ranking.setOption({
    grid: { left: 150, right: 70, top: 10, bottom: 10 },
    xAxis: { type: "value", max: "dataMax", axisLabel: { color: "#9aa5bd", fontSize: 14 }, splitLine: { lineStyle: { color: "#27304a" } } },
    yAxis: { type: "category", inverse: true, max: TOP - 1, data: [],
             axisLabel: { color: "#f5f7fb", fontSize: 18 }, animationDuration: 300, animationDurationUpdate: 300 },
    series: [{ type: "bar", realtimeSort: true, data: [], barMaxWidth: 34,
               itemStyle: { color: "#f0b429", borderRadius: [0, 6, 6, 0] },
               label: { show: true, position: "right", color: "#ffd36b", fontSize: 18, valueAnimation: true } }],
    animationDuration: 0, animationDurationUpdate: 900, animationEasing: "linear", animationEasingUpdate: "linear",
  });

  function render(feed) {
    const key = config.site ? "site_rank" : "rank";
    const rows = [...feed.rows.values()].sort((a, b) => (a[key] - b[key]) || a.ticket_no.localeCompare(b.ticket_no));
    const top = rows.slice(0, TOP);
    ranking.setOption({
      yAxis: { data: top.map((r) => `${r.name}`) },
      series: [{ data: top.map((r) => Number(r.total)) }],
    });
    const body = document.querySelector("#board tbody");
    body.innerHTML = rows.slice(0, 30).map((r) => `
      <tr data-id="${r.id}" data-ticket="${escapeHtml(r.ticket_no)}">
        <td class="rank">${r[key]}</td><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.enterprise)}</td>
        ${config.site ? "" : `<td>${escapeHtml(siteNames[r.site_id] || "")}</td>`}
        ${config.stages.length ? `<td>${escapeHtml(stageNames[r.stage] || (r.stage_status === "finished" ? STATUS_NAMES.finished : ""))}</td>` : ""}
        <td class="num total">${escapeHtml(r.total)}</td></tr>`).join("");
    document.getElementById("frozen").hidden = !feed.frozen;
    const seq = document.getElementById("seq");
    seq.textContent = `seq ${feed.seq}`;
    seq.dataset.seq = feed.seq;
    if (progress) renderProgress(feed.progress);
  }

  function renderProgress(counts) {
    const sites = config.site ? config.sites.filter((s) => s.id === config.site) : config.sites;
    const columns = [...config.stages.map((s) => s.code), "finished"];
    const statuses = ["in_progress", "not_started", "failed", "cleared", "finished"];
    const series = statuses.map((status) => ({
      name: STATUS_NAMES[status], type: "bar", stack: "all",
      data: columns.map((column) => sites.reduce((sum, s) => sum + (((counts[s.id] || {})[column] || {})[status] || 0), 0)),
    })).filter((s) => s.data.some((n) => n > 0));
    progress.setOption({
      title: { text: tr("闯关进度", "Level progress"), textStyle: { color: "#f5f7fb", fontSize: 20 } },
      legend: { top: 4, right: 10, textStyle: { color: "#c9cfdb" } },
      grid: { left: 60, right: 20, top: 50, bottom: 40 },
      xAxis: { type: "category", data: columns.map((c) => stageNames[c] || tr("通关", "Done")), axisLabel: { color: "#f5f7fb", fontSize: 14 } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#9aa5bd" }, splitLine: { lineStyle: { color: "#27304a" } } },
      series,
    }, { replaceMerge: ["series"] });
  }

  const feed = new LiveFeed({
    contest: config.contest, scope: config.site ? "site" : "contest", site: config.site,
    auth: { display: config.token },
    onState: render, onStatus: indicator(document.getElementById("connection")),
  });
  window.jxFeed = feed;  // for operators' consoles and the browser tests
  window.addEventListener("resize", () => { ranking.resize(); if (progress) progress.resize(); });
}
