// 政策匹配 — the push timeline page: items against the 5-working-day rule, subscriptions, the delivery log.
"use strict";

const STATUS_LABELS = {
  on_time: "按时", late: "逾期送达", overdue: "已超期未送达", pending: "进行中", no_subscribers: "无订阅方", not_ready: "名单未就绪",
};
const DELIVERY_LABELS = { pending: "待投递", retrying: "重试中", delivered: "已送达", dead: "死信", cancelled: "已取消" };

function day(value) { return value ? value.slice(0, 10) : "—"; }
function time(value) { return value ? value.slice(0, 19).replace("T", " ") : "—"; }

function showError(target, error) {
  target.replaceChildren(el("tr", {}, el("td", { colspan: 6 }, el("div", { class: "error" }, error.message))));
}

async function loadTimeline() {
  const body = document.querySelector("#timeline tbody");
  const clock = document.getElementById("clock").value;
  try {
    const data = await api("GET", "/v1/push/timeline?clock=" + encodeURIComponent(clock));
    document.getElementById("rule-days").textContent = data.rule_working_days;
    const summary = Object.entries(data.summary).map(([k, v]) => (STATUS_LABELS[k] || k) + " " + v).join("，");
    document.getElementById("timeline-summary").textContent = summary || "暂无已发布事项";
    body.replaceChildren(...data.data.map((row) => el("tr", {},
      el("td", {}, row.title, el("small", { class: "note" }, " ", row.item_id)),
      el("td", {}, day(row.published), el("small", { class: "note" }, row.clock === "issued" ? "（发布）" : "（入库）")),
      el("td", {}, row.deadline, row.calendar === "official" ? null : el("small", { class: "note" }, "（估算）")),
      el("td", {}, time(row.targets_ready_at),
        row.targets_ready_at ? el("small", { class: "note" }, " ", Object.entries(row.counts).map(([k, v]) => (LEVEL_LABELS[k] || k) + v).join(" ")) : null),
      el("td", {}, row.subscribers.length ? row.subscribers.map((s) => el("div", {},
        time(s.acknowledged_at), s.working_days === null ? null : el("small", { class: "note" }, "（" + s.working_days + " 个工作日）"))) : "—"),
      el("td", { class: row.status === "on_time" ? "ok" : (row.status === "late" || row.status === "overdue" ? "error" : "") },
        STATUS_LABELS[row.status] || row.status))));
  } catch (error) {
    showError(body, error);
  }
}

async function loadDeliveries() {
  const subs = document.getElementById("subscriptions");
  const body = document.querySelector("#deliveries tbody");
  try {
    const listed = await api("GET", "/v1/subscriptions");
    subs.replaceChildren(listed.data.length
      ? el("ul", { class: "conds" }, ...listed.data.map((s) => el("li", {}, el("b", {}, s.label || s.id), " ", s.url,
        el("small", { class: "note" }, " 订阅：" + s.events.join("、")))))
      : el("p", { class: "note" }, "暂无订阅。用 POST /v1/subscriptions 或 policymatch subscriptions add 添加。"));
    const log = await api("GET", "/v1/deliveries?limit=50");
    body.replaceChildren(...log.data.map((d) => el("tr", {},
      el("td", {}, d.event_type, el("small", { class: "note" }, " ", time(d.created_at))),
      el("td", {}, d.subscription_id),
      el("td", { class: d.status === "delivered" ? "ok" : (d.status === "dead" ? "error" : "") }, DELIVERY_LABELS[d.status] || d.status),
      el("td", {}, String(d.attempts)),
      el("td", {}, d.last_status ? "HTTP " + d.last_status : "", " ", d.last_error || ""),
      el("td", {}, d.status === "cancelled" ? null : el("button", { class: "small", type: "button", onclick: () => replay(d.id) }, "重发")))));
  } catch (error) {
    showError(body, error);
  }
}

async function replay(deliveryId) {
  const status = document.getElementById("replay-status");
  try {
    const done = deliveryId
      ? await api("POST", "/v1/deliveries/" + encodeURIComponent(deliveryId) + "/replay")
      : await api("POST", "/v1/deliveries/replay", { status: "dead" });
    status.textContent = "已重新排队 " + done.replayed + " 条投递";
    setTimeout(loadDeliveries, 1500);
  } catch (error) {
    status.textContent = error.message;
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  setupKeyInput();
  document.getElementById("clock").addEventListener("change", loadTimeline);
  document.getElementById("replay-dead").addEventListener("click", () => replay(null));
  await showWhoami();
  await Promise.all([loadTimeline(), loadDeliveries()]);
});
