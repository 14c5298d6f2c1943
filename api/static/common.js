// 政策匹配 — shared helpers of the two pages (plain JS, no build step).
"use strict";

const LEVEL_LABELS = { eligible: "符合", need_info: "待补充信息", near_miss: "差一点", ineligible: "不符合" };
const LEVEL_HINTS = {
  eligible: "全部条件均已满足",
  need_info: "没有不满足的条件，但有条件缺少数据、需要核实",
  near_miss: "只差一个条件",
  ineligible: "两个以上条件不满足，或属于排除情形",
};
const VERDICT_MARKS = { met: "✓", unmet: "✗", unknown: "?" };
const VERDICT_LABELS = { met: "满足", unmet: "不满足", unknown: "待核实" };
const FIELD_LABELS = {
  employees: "从业人员（人）", revenue: "营业收入（万元）", revenue_growth: "营业收入增长率（%）",
  total_assets: "资产总额（万元）", rd_expense: "研发费用（万元）", rd_ratio: "研发投入占比（%）",
  tax_paid: "纳税总额（万元）", output_value: "工业总产值（万元）", export_value: "出口额（万元）",
  investment: "投资额（万元）", qualifications: "资质荣誉", region_code: "注册地", industry_code: "行业",
  established: "成立日期", mu_jun_class: "亩均效益评价", credit_status: "信用状况", major_violation: "重大违法记录",
  business_scope: "经营范围", products: "主营产品", description: "企业简介", size_class: "企业规模",
  undecidable: "其他要求", id: "企业编号", name: "企业名称", uscc: "统一社会信用代码",
  invention_patents: "有效发明专利（件）", ip_count: "知识产权（件）", rd_staff_ratio: "研发人员占比（%）",
  hightech_income_ratio: "高新技术产品收入占比（%）", tax_credit_grade: "纳税信用等级", insured_employees: "参保人数（人）",
};
// Roles of a condition (docs/conditions.md §1): bonus never required, exclude = who is excluded.
const CONDITION_ROLES = { require: "必备", bonus: "加分项", exclude: "排除情形" };
const WINDOW_LABELS = { upcoming: "申报尚未开始", open: "申报中", closed: "本期申报已截止" };
const OP_LABELS = {
  gte: "≥", gt: ">", lte: "≤", lt: "<", eq: "=", has: "具有", not_has: "不具有", in: "属于其一",
  within_region: "位于区域", industry_in: "属于行业", established_after: "成立于此日期之后",
  established_before: "成立于此日期之前", semantic: "经营内容符合",
};
const ROLE_LABELS = { admin: "管理员", push: "推送", enterprise: "企业", analyst: "分析", finance: "财政" };
const ERROR_HINTS = { 401: "需要访问密钥", 403: "无权访问", 404: "未找到", 413: "请求内容过大", 422: "输入有误", 429: "请求过于频繁，请稍后再试" };

function apiKey() { return localStorage.getItem("policymatch.key") || ""; }

function setupKeyInput() {
  const input = document.getElementById("api-key");
  if (!input) return;
  input.value = apiKey();
  input.addEventListener("change", () => {
    localStorage.setItem("policymatch.key", input.value.trim());
    location.reload();
  });
}

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  const key = apiKey();
  if (key) headers["Authorization"] = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const err = (data && data.error) || {};
    const hint = ERROR_HINTS[response.status] || "请求失败";
    const error = new Error(hint + "：" + (err.message || response.statusText));
    error.status = response.status;
    error.body = data;
    throw error;
  }
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showError(target, error) {
  target.replaceChildren(el("div", { class: "error", role: "alert" }, error.message || String(error)));
}

const TAG_LABELS = {
  amount: "奖补金额（万元）", amount_cap: "最高金额（万元）", ratio: "比例（%）", department: "部门",
  regions: "适用区域", industries: "适用行业", required_qualifications: "所需资质",
  excluded_qualifications: "排除资质", support_types: "支持方式", keywords: "关键词", deadline: "截止日期",
  fulfilment: "兑现方式", sizes: "企业规模", topics: "主题",
};

function formatGap(text) {
  // Gaps start with the profile field's name ("revenue: 2300 < 10000（还差 7700 万元）"): show its Chinese label.
  return String(text).replace(/^([a-z_]+):\s*/, (whole, field) => FIELD_LABELS[field] ? FIELD_LABELS[field].replace(/（.*）$/, "") + "：" : whole);
}

function formatValue(value) {
  if (typeof value === "number" && !Number.isInteger(value)) return String(Math.round(value * 100) / 100);
  if (value === null || value === undefined || value === "") return "（无数据）";
  if (Array.isArray(value)) return value.length ? value.join("、") : "（无）";
  if (value === true) return "是";
  if (value === false) return "否";
  return String(value);
}

function conditionText(c) {
  // An ``any`` group: one condition met by any member (docs/conditions.md §2).
  if (c.any) return "满足其一：" + c.any.map(conditionText).join("；或 ");
  if (c.all) return c.all.map(conditionText).join("，且 ");
  const field = FIELD_LABELS[c.field] || c.field;
  const op = OP_LABELS[c.op] || c.op;
  if (c.field === "undecidable") return field + "：" + formatValue(c.value);
  return field + " " + op + " " + formatValue(c.value);
}

async function showWhoami() {
  const target = document.getElementById("whoami");
  try {
    const me = await api("GET", "/v1/whoami");
    const role = ROLE_LABELS[me.role] || me.role;
    target.textContent = me.open ? "开放模式（未配置密钥，仅本机访问）" : "角色：" + role + (me.enterprise_id ? "（" + me.enterprise_id + "）" : "");
    return me;
  } catch (error) {
    target.textContent = error.status === 401 ? "请填写访问密钥" : error.message;
    return null;
  }
}
