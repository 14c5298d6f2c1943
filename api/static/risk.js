// 风险监管: 三色预警 with reasons, and monitoring per item (plain JS, no build step).
"use strict";

const COLOUR_LABELS = { red: "红", yellow: "黄", green: "绿" };

function colourBadge(colour) {
  return el("span", { class: "colour colour-" + colour, "data-colour": colour }, COLOUR_LABELS[colour] || colour);
}

async function loadColours() {
  const body = document.querySelector("#colours tbody");
  const filter = document.getElementById("colour-filter").value;
  try {
    const data = await api("GET", "/v1/risk/enterprises" + (filter ? "?colour=" + filter : ""));
    const counts = document.getElementById("colour-counts");
    counts.replaceChildren(...["red", "yellow", "green"].map((c) =>
      el("span", { class: "count", "data-colour": c }, colourBadge(c), " ", String(data.counts[c]))));
    body.replaceChildren(...data.data.map((row) => el("tr", { "data-enterprise": row.enterprise_id },
      el("td", {}, row.name ? row.name + "（" + row.enterprise_id + "）" : row.enterprise_id),
      el("td", {}, colourBadge(row.colour)),
      el("td", { class: "reasons" }, row.reasons.length ? el("ul", {}, row.reasons.map((r) => el("li", { "data-code": r.code }, r.text))) : "—"))));
  } catch (error) {
    showError(body, error);
  }
}

function share(value) { return value === null || value === undefined ? "—" : Math.round(value * 1000) / 10 + "%"; }

async function loadMonitoring() {
  const body = document.querySelector("#monitoring tbody");
  try {
    const data = await api("GET", "/v1/risk/monitoring");
    body.replaceChildren(...data.items.map((m) => el("tr", { "data-item": m.key },
      el("td", {}, m.key), el("td", {}, m.department),
      el("td", {}, m.paid_enterprises + " 家 / " + formatValue(m.paid_amount) + " 万元"),
      el("td", {}, String(m.multi_paid.duplicates + m.multi_paid.over_cap)),
      el("td", {}, String(m.wrong_paid.ineligible + m.wrong_paid.flagged)),
      el("td", {}, String(m.missed)),
      el("td", {}, share(m.push_share)),
      el("td", {}, m.days_to_push === null ? "—" : m.days_to_push + (m.push_on_time ? "（按时）" : "（超过5个工作日）")),
      el("td", {}, m.satisfaction === null ? "—" : String(m.satisfaction)))));
  } catch (error) {
    showError(body, error);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  setupKeyInput();
  await showWhoami();
  document.getElementById("colour-filter").addEventListener("change", loadColours);
  await Promise.all([loadColours(), loadMonitoring()]);
  document.body.dataset.ready = "1";
});
