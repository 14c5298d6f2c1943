// 智能匹配: an enterprise picks itself (or fills a profile) and sees its matched policy items by level.
"use strict";

const GROUP_ORDER = ["eligible", "need_info", "near_miss", "ineligible"];
let currentEnterprise = null;

function switchTab(which) {
  document.getElementById("tab-pick").classList.toggle("active", which === "pick");
  document.getElementById("tab-form").classList.toggle("active", which === "form");
  document.getElementById("pick").hidden = which !== "pick";
  document.getElementById("profile-form").hidden = which !== "form";
}

async function searchEnterprises(query) {
  const list = document.getElementById("enterprise-list");
  try {
    const page = await api("GET", "/v1/enterprises?limit=30&q=" + encodeURIComponent(query || ""));
    list.replaceChildren(...page.data.map((e) => el("li", {
      "data-id": e.id,
      onclick: () => { for (const li of list.children) li.classList.remove("selected"); matchEnterprise(e.id, e.name); },
    }, e.name, el("small", {}, e.id + (e.region_name ? " · " + e.region_name : "") + (e.industry_name ? " · " + e.industry_name : "")))));
    if (!page.data.length) list.replaceChildren(el("li", { class: "note" }, "没有找到匹配的企业"));
  } catch (error) {
    list.replaceChildren(el("li", { class: "error" }, error.message));
  }
}

async function matchEnterprise(id, name) {
  currentEnterprise = id;
  for (const li of document.getElementById("enterprise-list").children) li.classList.toggle("selected", li.dataset.id === id);
  await runMatch({ enterprise_id: id, levels: ["eligible", "need_info", "near_miss"], top_k: 30 }, name || id);
}

function profileFromForm(form) {
  const data = {};
  for (const [key, raw] of new FormData(form).entries()) {
    const value = String(raw).trim();
    if (!value) continue;
    if (["employees", "invention_patents", "ip_count", "insured_employees"].includes(key)) data[key] = parseInt(value, 10);
    else if (["revenue", "rd_expense", "tax_paid", "investment", "rd_staff_ratio", "hightech_income_ratio"].includes(key)) data[key] = parseFloat(value);
    else if (key === "qualifications") data[key] = value.split(/[、,，;；\s]+/).filter(Boolean);
    else data[key] = value;
  }
  return data;
}

async function runMatch(request, label) {
  const target = document.getElementById("results");
  target.replaceChildren(el("section", { class: "panel" }, el("h2", {}, "匹配结果"), el("p", { class: "note" }, "正在匹配 " + label + " …")));
  try {
    const answer = await api("POST", "/v1/match", request);
    renderResults(target, answer, label);
  } catch (error) {
    const panel = el("section", { class: "panel" }, el("h2", {}, "匹配结果"));
    target.replaceChildren(panel);
    const box = el("div");
    panel.append(box);
    showError(box, error);
  }
}

function renderResults(target, answer, label) {
  const panel = el("section", { class: "panel" }, el("h2", {}, label + " 的匹配结果"));
  panel.append(el("div", { class: "summary" },
    "共 ", el("b", {}, answer.results.length), " 个政策事项 · 模型版本 ", answer.model, " · 索引版本 ", answer.index));
  const groups = {};
  for (const r of answer.results) (groups[r.level] = groups[r.level] || []).push(r);
  if (!answer.results.length) panel.append(el("p", { class: "note" }, "没有找到匹配的政策事项。"));
  for (const level of GROUP_ORDER) {
    const rows = groups[level];
    if (!rows || !rows.length) continue;
    panel.append(el("div", { class: "group " + level, "data-level": level },
      el("h3", { title: LEVEL_HINTS[level] }, LEVEL_LABELS[level] + "（" + rows.length + "）"),
      rows.map(renderResult)));
  }
  target.replaceChildren(panel);
}

function renderResult(r) {
  const card = el("div", { class: "card result", "data-item": r.item_id });
  card.append(el("div", { class: "title" }, r.title));
  card.append(el("div", { class: "meta" },
    r.fulfilment ? el("span", { class: "badge" }, r.fulfilment) : el("span", { class: "badge" }, "兑现方式未注明"),
    "政策 ", r.policy_id, " · 事项 ", r.item_id, " · 匹配度 ", (r.score || 0).toFixed(2)));
  if (r.window_status) {
    card.append(el("div", { class: "window " + r.window_status, "data-window": r.window_status },
      WINDOW_LABELS[r.window_status] || r.window_status,
      r.window ? "（申报时间 " + (r.window[0] || "…") + " 至 " + (r.window[1] || "…") + "）" : ""));
  }
  if (r.tier) {
    card.append(el("div", { class: "tier", "data-tier": r.tier.label },
      "可享档次：", el("b", {}, r.tier.label), r.tier.support ? " · " + r.tier.support : "",
      r.amount !== null && r.amount !== undefined ? el("span", { class: "amount" }, " · 预计 " + formatValue(r.amount) + " 万元") : null,
      r.amount_formula ? el("span", { class: "note" }, "（" + r.amount_formula + "）") : null));
  } else if (r.support) card.append(el("div", { class: "support" }, "支持内容：", r.support));
  const required = (r.conditions || []).filter((c) => (c.role || "require") !== "bonus");
  if (required.length) {
    card.append(el("ul", { class: "conds" }, required.map(renderCondition)));
  } else {
    card.append(el("p", { class: "note" }, "本事项未提取到申报条件。"));
  }
  if (r.bonus && r.bonus.length) {
    card.append(el("div", { class: "bonus" }, "加分项（不影响是否符合，仅用于排序）：",
      el("ul", { class: "conds" }, r.bonus.map(renderCondition))));
  }
  if (r.gaps && r.gaps.length) card.append(el("ul", { class: "gaps" }, r.gaps.map((g) => el("li", {}, formatGap(g)))));
  if (currentEnterprise) {
    const status = el("span");
    const send = (kind) => async () => {
      try {
        await api("POST", "/v1/feedback", { enterprise_id: currentEnterprise, item_id: r.item_id, kind });
        status.textContent = "已记录，谢谢反馈";
        status.className = "ok";
      } catch (error) { status.textContent = error.message; status.className = "error"; }
    };
    card.append(el("div", { class: "feedback" }, "这条结果：",
      el("button", { class: "small", type: "button", onclick: send("useful") }, "有用"),
      el("button", { class: "small", type: "button", onclick: send("not_useful") }, "没用"),
      el("button", { class: "small", type: "button", onclick: send("applied") }, "已申报"), status));
  }
  return card;
}

function renderCondition(c) {
  const role = c.role || "require";
  const group = c.any || c.all;
  return el("li", { class: "cond " + c.verdict + (group ? " group" : "") + (role !== "require" ? " role-" + role : ""), title: VERDICT_LABELS[c.verdict] },
    el("span", { class: "mark " + c.verdict, "aria-label": VERDICT_LABELS[c.verdict] }, VERDICT_MARKS[c.verdict] || "?"),
    role !== "require" ? el("span", { class: "badge" }, CONDITION_ROLES[role] || role) : null,
    group ? "满足其一即可：" : conditionText(c),
    !group && c.field !== "undecidable" && c.op !== "semantic" ? el("span", { class: "note" }, "　企业：" + formatValue(c.actual)) : null,
    c.span ? el("span", { class: "evidence" }, "原文：", el("q", {}, c.span)) : null,
    group ? el("ul", { class: "conds members" }, group.map(renderCondition)) : null);
}

document.addEventListener("DOMContentLoaded", async () => {
  setupKeyInput();
  document.getElementById("tab-pick").addEventListener("click", () => switchTab("pick"));
  document.getElementById("tab-form").addEventListener("click", () => switchTab("form"));
  let timer = null;
  document.getElementById("enterprise-search").addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => searchEnterprises(event.target.value), 250);
  });
  document.getElementById("profile-form").addEventListener("submit", (event) => {
    event.preventDefault();
    currentEnterprise = null;
    const profile = profileFromForm(event.target);
    runMatch({ profile, levels: ["eligible", "need_info", "near_miss"], top_k: 30 }, profile.name || "填写的企业");
  });
  const me = await showWhoami();
  if (me && me.role === "enterprise" && me.enterprise_id) {
    document.getElementById("enterprise-search").value = me.enterprise_id;
  }
  await searchEnterprises(document.getElementById("enterprise-search").value);
  if (me && me.role === "enterprise" && me.enterprise_id) await matchEnterprise(me.enterprise_id, me.enterprise_id);
});
