// 条件校对: list a policy's items with their extracted conditions and let a person correct them.
"use strict";

let policies = [];

function renderPolicyList(filter) {
  const list = document.getElementById("policy-list");
  const needle = (filter || "").trim();
  const shown = policies.filter((p) => !needle || p.title.includes(needle) || p.id.includes(needle));
  list.replaceChildren(...shown.map((p) => el("li", { "data-id": p.id, onclick: () => openPolicy(p.id) },
    p.title, el("small", {}, p.id + " · 第 " + p.version + " 版" + (p.n_items !== null && p.n_items !== undefined ? " · " + p.n_items + " 个事项" : "")))));
  if (!shown.length) list.replaceChildren(el("li", { class: "note" }, "没有政策文件"));
}

async function loadPolicies() {
  try {
    const page = await api("GET", "/v1/policies?limit=500");
    policies = page.data;
    renderPolicyList("");
  } catch (error) {
    document.getElementById("policy-list").replaceChildren(el("li", { class: "error" }, error.message));
  }
}

async function openPolicy(id) {
  for (const li of document.getElementById("policy-list").children) li.classList.toggle("selected", li.dataset.id === id);
  const target = document.getElementById("policy");
  try {
    const policy = await api("GET", "/v1/policies/" + encodeURIComponent(id));
    const panel = el("section", { class: "panel" }, el("h2", {}, policy.title),
      el("div", { class: "summary" }, "编号 ", policy.id, " · 第 ", policy.version, " 版",
        policy.department ? " · " + policy.department : "", policy.issued ? " · 发布 " + policy.issued : "",
        policy.fulfilment ? " · " + policy.fulfilment : ""));
    for (const item of policy.items) panel.append(renderItem(policy, item));
    target.replaceChildren(panel);
  } catch (error) {
    const panel = el("section", { class: "panel" }, el("h2", {}, "条件校对"));
    const box = el("div");
    panel.append(box);
    target.replaceChildren(panel);
    showError(box, error);
  }
}

function fieldSelect(value) {
  const select = el("select", { name: "field", "aria-label": "字段" });
  const fields = Object.keys(FIELD_LABELS).filter((f) => !["id", "name", "uscc", "description"].includes(f));
  if (value && !fields.includes(value)) fields.push(value);
  for (const f of fields) select.append(el("option", { value: f, selected: f === value }, (FIELD_LABELS[f] || f) + "　" + f));
  return select;
}

function opSelect(value) {
  const select = el("select", { name: "op", "aria-label": "关系" });
  for (const [op, label] of Object.entries(OP_LABELS)) select.append(el("option", { value: op, selected: op === value }, label + "　" + op));
  return select;
}

function valueText(value) {
  if (Array.isArray(value)) return value.join("、");
  if (value === null || value === undefined) return "";
  return String(value);
}

function parseValue(op, text) {
  const t = text.trim();
  if (["gte", "gt", "lte", "lt"].includes(op)) return t === "" ? null : Number(t);
  if (["in", "industry_in"].includes(op)) return t.split(/[、,，;；\s]+/).filter(Boolean);
  if (op === "eq") {
    if (t === "true" || t === "是") return true;
    if (t === "false" || t === "否") return false;
    if (t !== "" && !isNaN(Number(t))) return Number(t);
  }
  return t;
}

function roleSelect(value) {
  const select = el("select", { name: "role", "aria-label": "作用" });
  for (const [role, label] of Object.entries(CONDITION_ROLES)) select.append(el("option", { value: role, selected: role === (value || "require") }, label));
  return select;
}

// Entries v1 rows cannot hold (``any`` groups, tiers) are edited as their JSON (docs/conditions.md), so they round-trip.
function stripForEdit(entry) {
  return JSON.parse(JSON.stringify(entry, (key, value) => (["source", "verdict", "actual", "gap"].includes(key) ? undefined : value)));
}

function jsonRow(entry) {
  const tier = entry.label !== undefined && Array.isArray(entry.conditions);
  const kind = tier ? "档次：" + (entry.label || "（未命名）") : entry.any ? "满足其一" : "组合条件";
  const source = entry.source === "edited" ? el("span", { class: "badge edited" }, "人工") : el("span", { class: "badge auto" }, "提取");
  const text = el("textarea", { name: "json", rows: 4, "aria-label": kind + "（JSON）" });
  text.value = JSON.stringify(stripForEdit(entry), null, 1);
  return el("tr", { class: "cond-row json-row", "data-kind": tier ? "tier" : "group" },
    el("td", {}, el("span", { class: "badge" }, kind)),
    el("td", { colspan: 4 }, text),
    el("td", {}, source),
    el("td", {}, el("button", { class: "small", type: "button", onclick: (e) => e.target.closest("tr").remove() }, "删除")));
}

function conditionRow(c) {
  if (c.any || c.all || (c.label !== undefined && Array.isArray(c.conditions))) return jsonRow(c);
  const source = c.source === "edited" ? el("span", { class: "badge edited" }, "人工") : el("span", { class: "badge auto" }, "提取");
  const row = el("tr", { class: "cond-row" },
    el("td", {}, fieldSelect(c.field)),
    el("td", {}, opSelect(c.op)),
    el("td", {}, roleSelect(c.role)),
    el("td", {}, el("input", { name: "value", value: valueText(c.value), "aria-label": "取值" })),
    el("td", {}, el("input", { name: "span", value: c.span || "", "aria-label": "原文依据" })),
    el("td", {}, source),
    el("td", {}, el("button", { class: "small", type: "button", onclick: (e) => e.target.closest("tr").remove() }, "删除")));
  return row;
}

function renderItem(policy, item) {
  const body = el("tbody");
  const show = (view) => body.replaceChildren(...(view.conditions || []).map(conditionRow), ...(view.tiers || []).map(conditionRow));
  show(item);
  const status = el("span", { class: "note" });
  const save = async () => {
    const conditions = [];
    const tiers = [];
    try {
      for (const tr of body.querySelectorAll("tr")) {
        if (tr.classList.contains("json-row")) {
          const entry = JSON.parse(tr.querySelector("[name=json]").value);
          (tr.dataset.kind === "tier" || (entry.label !== undefined && Array.isArray(entry.conditions)) ? tiers : conditions).push(entry);
          continue;
        }
        const op = tr.querySelector("[name=op]").value;
        const role = tr.querySelector("[name=role]").value;
        const leaf = {
          field: tr.querySelector("[name=field]").value,
          op,
          value: parseValue(op, tr.querySelector("[name=value]").value),
          span: tr.querySelector("[name=span]").value,
        };
        if (role !== "require") leaf.role = role;
        conditions.push(leaf);
      }
    } catch (error) {
      status.textContent = "JSON 格式有误：" + error.message;
      status.className = "error";
      return;
    }
    status.textContent = "正在保存…";
    status.className = "note";
    try {
      const saved = await api("PUT", "/v1/policies/" + encodeURIComponent(policy.id) + "/items/" + encodeURIComponent(item.id) + "/conditions", { conditions, tiers });
      show(saved);
      status.textContent = "已保存 " + saved.conditions.length + " 条条件" + ((saved.tiers || []).length ? "、" + saved.tiers.length + " 个档次" : "") + "（人工校对）";
      status.className = "ok saved";
    } catch (error) {
      status.textContent = error.message;
      status.className = "error";
    }
  };
  const reset = async () => {
    try {
      const restored = await api("DELETE", "/v1/policies/" + encodeURIComponent(policy.id) + "/items/" + encodeURIComponent(item.id) + "/conditions");
      show(restored);
      status.textContent = "已恢复自动提取的 " + restored.conditions.length + " 条条件";
      status.className = "ok restored";
    } catch (error) {
      status.textContent = error.message;
      status.className = "error";
    }
  };
  const tags = item.tags || {};
  const tagText = Object.entries(tags).filter(([, v]) => v && (!Array.isArray(v) || v.length)).map(([k, v]) => (TAG_LABELS[k] || k) + "：" + valueText(v)).join("；");
  return el("div", { class: "card item", "data-item": item.id },
    el("div", { class: "title" }, item.title),
    el("div", { class: "meta" }, "事项 ", item.id, item.heading_path && item.heading_path.length ? " · " + item.heading_path.join(" › ") : "",
      item.fulfilment ? " · " + item.fulfilment : ""),
    el("div", { class: "item-text" }, item.text),
    tagText ? el("div", { class: "note" }, "标签：", tagText) : null,
    el("table", { class: "conds" },
      el("colgroup", {}, ["20%", "13%", "10%", "16%", "27%", "6%", "8%"].map((w) => el("col", { style: "width:" + w }))),
      el("thead", {}, el("tr", {}, el("th", {}, "字段"), el("th", {}, "关系"), el("th", {}, "作用"), el("th", {}, "取值"), el("th", {}, "原文依据"), el("th", {}, "来源"), el("th", {}, ""))),
      body),
    el("div", { class: "row" },
      el("button", { class: "small", type: "button", onclick: () => body.append(conditionRow({ field: "revenue", op: "gte", value: "", span: "", source: "edited" })) }, "新增条件"),
      el("button", { class: "small", type: "button", onclick: () => body.append(jsonRow({ any: [{ field: "revenue", op: "gte", value: 0, span: "" }], span: "", source: "edited" })) }, "新增“满足其一”"),
      el("button", { class: "small", type: "button", onclick: () => body.append(jsonRow({ label: "", conditions: [], support: "", amount: null, span: "", source: "edited" })) }, "新增档次"),
      el("button", { class: "small save", type: "button", onclick: save }, "保存修改"),
      el("button", { class: "small reset", type: "button", onclick: reset, title: "删除人工校对，恢复自动提取的条件" }, "恢复自动提取"),
      status));
}

document.addEventListener("DOMContentLoaded", async () => {
  setupKeyInput();
  document.getElementById("policy-search").addEventListener("input", (event) => renderPolicyList(event.target.value));
  await showWhoami();
  await loadPolicies();
  const wanted = new URLSearchParams(location.search).get("policy");
  if (wanted) await openPolicy(wanted);
});
