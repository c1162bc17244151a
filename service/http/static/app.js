// The regkb page: plain DOM, no build step. Every text from the server goes in through
// textContent (never innerHTML), so a document cannot inject markup into the page.
"use strict";

const NAMES = {
  authority: { law: "法律", administrative_regulation: "行政法规", departmental_rule: "部门规章",
    local_regulation: "地方性法规", local_rule: "地方政府规章", normative: "规范性文件", plan: "规划/方案" },
  doc_type: { law: "法律", regulation: "法规", plan: "规划", opinion: "意见", division_of_labour: "分工方案",
    standard: "标准", notice: "通知" },
  level: { national: "国家", provincial: "省级", city: "市级", county: "县级" },
  role: { lead: "牵头", responsible: "负责", cooperating: "配合" },
  exam: { single: "单选题", multi: "多选题", judge: "判断题", blank: "填空题" },
};

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);

function show(target, ...nodes) {
  target.replaceChildren(...nodes.flat(Infinity).filter(Boolean));
}

function errorBox(message) {
  return el("p", { class: "error", role: "alert" }, message);
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.detail) || `请求失败（HTTP ${response.status}）`);
  }
  return body;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  return search.toString();
}

// The text with every occurrence of the given phrases marked.
function highlighted(text, phrases) {
  const wanted = [...new Set(phrases.filter((p) => p && p.length >= 2))].sort((a, b) => b.length - a.length);
  const out = document.createDocumentFragment();
  let rest = text || "";
  while (rest) {
    let best = null;
    for (const phrase of wanted) {
      const at = rest.indexOf(phrase);
      if (at >= 0 && (!best || at < best.at)) best = { at, phrase };
    }
    if (!best) { out.append(rest); break; }
    out.append(rest.slice(0, best.at), el("mark", {}, best.phrase));
    rest = rest.slice(best.at + best.phrase.length);
  }
  return out;
}

// A long task shows its opening and opens to the whole text.
function clipped(text, length) {
  if (!text || text.length <= length) return el("span", {}, text || "");
  return el("details", { class: "clip" }, el("summary", {}, text.slice(0, length) + "…"), el("div", {}, text));
}

function where(item) {
  const parts = [...(item.section_path || [])];
  if (item.article && !parts.includes(item.article)) parts.push(item.article);
  if (item.paragraph) parts.push(item.paragraph);
  if (item.item) parts.push(item.item);  // a list item quoted after its lead-in: the 项 it is cited to
  return parts.join(" › ");
}

function badges(item) {
  return [
    item.authority && el("span", { class: "badge" }, item.authority_name || NAMES.authority[item.authority] || item.authority),
    item.region && el("span", { class: "badge" }, item.region),
    // 时效性: every passage says whether its text is in force on the day asked
    item.status_name && el("span", { class: `badge status status-${item.status}` }, item.status_name),
  ];
}

// One cited passage: document, 效力层级, section path and article, the quote, and the text around it on demand.
function citation(item, quote) {
  const body = item.quote ? el("p", { class: "quote" }, "“", highlighted(item.quote, [quote]), "”")
    : el("p", { class: "quote" }, highlighted(item.text, [quote]));
  const node = el("div", { class: "cite" },
    el("div", { class: "cite-title" }, `《${item.title || item.source}》`, badges(item)),
    el("div", { class: "path" }, where(item) || "（无章节）"),
    body);
  // articles that restate this one, on demand: local ones (各地规定), another national text's copy
  const copies = item.local_copies || [];
  const national = (c) => !c.region || c.region === "全国";
  for (const [label, group] of [["各地规定", copies.filter((c) => !national(c))],
    ["其他法规中相同或相近的条文", copies.filter(national)]]) {
    if (!group.length) continue;
    node.append(el("details", { class: "copies" }, el("summary", {}, `${label}（${group.length}）`),
      group.map((c) => el("div", { class: "near" }, `《${c.title || c.source}》${c.article || ""}`,
        c.region && el("span", { class: "badge" }, c.region), el("div", {}, clipped(c.text, 80))))));
  }
  if (item.chunk_id) {
    const details = el("details", {}, el("summary", {}, "展开上下文"));
    details.addEventListener("toggle", () => openContext(details, item), { once: true });
    node.append(details);
  }
  return node;
}

async function openContext(details, item) {
  const box = el("div", { class: "context" }, "载入中…");
  details.append(box);
  try {
    const context = await api(`/api/chunks/${encodeURIComponent(item.chunk_id)}?around=1`);
    show(box,
      context.before.map((t) => el("div", { class: "near" }, t)),
      el("div", {}, highlighted(context.text, [item.quote])),
      context.after.map((t) => el("div", { class: "near" }, t)),
      el("div", { class: "path" }, `来源文件：${context.source}`));
  } catch (error) {
    show(box, errorBox(error.message));
  }
}

// --- 问答 ----------------------------------------------------------------------------

// The questions asked so far on this topic: a follow-up (那罚多少？/ 辽宁呢？) is read with them.
let askedBefore = [];
const ASKED_KEPT = 10;

function newTopic() {
  askedBefore = [];
  $("ask-new").hidden = true;
}

async function ask(event) {
  event.preventDefault();
  const question = $("ask-q").value.trim();
  const region = $("ask-region").value.trim() || null;
  const target = $("ask-result");
  if (!question) return;
  show(target, el("p", { class: "hint" }, "正在查找…"));
  try {
    const answer = await api("/api/ask", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, region, previous: askedBefore }),
    });
    askedBefore = [...askedBefore, question].slice(-ASKED_KEPT);
    $("ask-new").hidden = false;
    show(target, answerCard(answer));
  } catch (error) {
    if (error.status !== 501) { show(target, errorBox(error.message)); return; }
    await searchInstead(question, region, target);
  }
}

// How sure the answer is (``confidence`` of /api/ask); an abstention says so itself.
const CONFIDENCE = { high: "把握：较高", medium: "把握：中等" };

function answerCard(answer) {
  const quotes = answer.citations.map((c) => c.quote);
  const card = el("div", { class: "card", "data-kind": answer.kind, "data-confidence": answer.confidence },
    answer.abstained ? el("p", { class: "notice" }, "知识库中没有找到足以回答的条文：") : null,
    answer.reading && answer.reading.completed
      ? el("p", { class: "read-as" }, `结合上文，按“${answer.reading.read_as}”理解。`) : null,
    CONFIDENCE[answer.confidence] ? el("p", { class: "confidence" }, CONFIDENCE[answer.confidence]) : null,
    el("div", { class: "answer" }, highlighted(answer.answer, quotes)));
  if (answer.citations.length) {
    card.append(el("h2", {}, `依据（${answer.citations.length} 条）`), ...answer.citations.map((c) => citation(c, c.quote)));
  }
  const cited = new Set(answer.citations.map((c) => c.chunk_id));
  const related = (answer.related || []).filter((r) => !cited.has(r.chunk_id));  // not the cited passages again
  if (related.length) {
    card.append(el("h2", {}, answer.abstained ? "最接近的条文（仅供参考）" : "相关条文"), ...related.map((r) => citation(r, "")));
  }
  return card;
}

// Without the answer module, the page still helps: the passages the search finds.
async function searchInstead(question, region, target) {
  try {
    const result = await api(`/api/search?${query({ q: question, region, k: 5 })}`);
    show(target, el("div", { class: "card" },
      el("p", { class: "notice" }, "问答功能尚未启用，以下是检索到的相关条文："),
      result.hits.length ? result.hits.map((hit) => citation(hit, "")) : el("p", {}, "没有找到相关条文。")));
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

// --- 部门分工 ------------------------------------------------------------------------

function names(list) {
  return list && list.length ? list.join("、") : "—";
}

async function searchDuties(event) {
  event.preventDefault();
  const target = $("duty-result");
  try {
    const result = await api(`/api/duties?${query({ q: $("duty-q").value.trim(), k: 5 })}`);
    show(target, result.matches.length ? result.matches.map((m) => el("div", { class: "card" },
      el("div", { class: "path" }, (m.section_path || []).join(" › ") || "（无章节）",
        el("span", { class: "badge" }, m.inferred ? "推断自规划正文" : "分工方案原文")),
      el("div", { class: "task" }, clipped(m.task, 120)),
      el("div", {}, `牵头：${names(m.lead)}`), el("div", {}, `负责：${names(m.responsible)}`),
      el("div", {}, `配合：${names(m.cooperating)}`), m.deadline ? el("div", {}, `时限：${m.deadline}`) : null,
    )) : el("p", {}, "没有找到相关的分工任务。"));
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

let departments = [];

async function loadDepartments() {
  try {
    departments = (await api("/api/departments")).departments;
    listDepartments();
  } catch (error) {
    show($("dept-list"), el("li", {}, error.message));
  }
}

function listDepartments() {
  const filter = $("dept-filter").value.trim();
  const shown = departments.filter((d) => !filter || d.name.includes(filter) || d.aliases.some((a) => a.includes(filter)));
  show($("dept-list"), shown.length ? shown.map((d) => el("li", { onclick: () => openDepartment(d.name, d.region) }, d.name,
    el("span", { class: "count" }, ` 牵头 ${d.lead} · 负责 ${d.responsible} · 配合 ${d.cooperating}`)))
    : el("li", {}, "知识库中还没有分工信息。"));
}

async function openDepartment(name, region) {
  const target = $("dept-detail");
  for (const item of $("dept-list").children) item.classList.toggle("active", item.firstChild.textContent === name);
  try {
    const result = await api(`/api/departments/${encodeURIComponent(name)}?${query({ region })}`);
    if ((result.candidates || []).length) {  // the name fits bodies of several regions: pick one
      show(target, el("h2", {}, result.department), el("p", { class: "hint" }, "这个名称对应多个地区的部门，请选择："),
        el("ul", { class: "list" }, result.candidates.map((c) => el("li", { onclick: () => openDepartment(name, c.region) },
          c.full_name, el("span", { class: "count" }, ` ${c.region || "全国"} · ${c.tasks} 项任务`)))));
      return;
    }
    const groups = Object.entries(NAMES.role).map(([role, label]) => {
      const tasks = result.tasks.filter((t) => t.role === role);
      return tasks.length ? [el("div", { class: "role" }, `${label}（${tasks.length} 项）`),
        tasks.map((t) => el("div", { class: "task" }, clipped(t.task, 60), t.inferred ? el("span", { class: "badge" }, "推断") : null,
          el("div", { class: "path" }, (t.section_path || []).join(" › "))))] : null;
    });
    show(target, el("h2", {}, result.department),
      result.aliases.length ? el("p", { class: "path" }, `又称：${result.aliases.join("、")}`) : null, groups);
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

// --- 规划目标 ------------------------------------------------------------------------

function table(headers, rows) {
  return el("div", { class: "scroll" }, el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell ?? "—")))))));
}

async function searchTargets(event) {
  event.preventDefault();
  const target = $("target-result");
  const params = { region: $("target-region").value.trim(), indicator: $("target-indicator").value.trim(),
    compare: $("target-compare").value.trim() };
  try {
    const result = await api(`/api/targets?${query(params)}`);
    const comparison = (result.comparison || []).length ? [el("h2", {}, `各地区对比：${result.compare}`),
      table(["地区", "指标", "目标值", "单位", "方向", "期限", "来源"], result.comparison.map((r) =>
        [r.region, r.indicator, r.value, r.unit, r.direction, r.deadline, r.source]))] : null;
    show(target, comparison, el("h2", {}, `目标（${result.targets.length} 项）`),
      table(["地区", "指标", "目标值", "单位", "基期", "期限", "性质", "原文"], result.targets.map((t) =>
        [t.region, t.indicator, t.value, t.unit, t.baseline, t.deadline, t.nature, t.quote])));
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

// --- 组卷 ----------------------------------------------------------------------------

function examParams(format) {
  const types = [...document.querySelectorAll("#exam-form input[name=types]:checked")].map((i) => i.value);
  return query({ count: $("exam-count").value, types: types.join(","), topic: $("exam-topic").value.trim(), format });
}

async function makeExam(event) {
  event.preventDefault();
  const target = $("exam-result");
  show(target, el("p", { class: "hint" }, "正在组卷…"));
  try {
    const paper = await api(`/api/exam?${examParams("json")}`);
    show(target, el("ol", { class: "exam" }, paper.questions.map((q) => el("li", {},
      el("span", { class: "badge" }, NAMES.exam[q.type] || q.type), " ", q.stem,
      (q.options || []).length ? el("div", {}, q.options.map((o, i) => el("div", {}, `${"ABCDEFGH"[i]}. ${o}`))) : null,
      el("div", { class: "path" }, `答案：${q.answer}  出处：${q.source} ${q.article || ""}`)))));
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

async function downloadExam(format) {
  const target = $("exam-result");
  try {
    const response = await fetch(`/api/exam?${examParams(format)}`);
    if (!response.ok) throw new Error((await response.json()).detail);
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `试卷.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

// --- 文档 ----------------------------------------------------------------------------

function keyHeaders() {
  const key = $("api-key").value.trim();
  return key ? { "X-API-Key": key } : {};
}

async function loadDocuments() {
  const target = $("doc-result");
  try {
    const { documents } = await api("/api/documents");
    show(target, el("h2", {}, `已导入 ${documents.length} 篇文档`), table(
      ["标题", "类型", "效力层级", "地区", "日期", "效力", "块数", ""],
      documents.map((d) => [d.title || d.source, NAMES.doc_type[d.doc_type] || d.doc_type,
        NAMES.authority[d.authority] || d.authority, d.region, d.date || "", badges({ status: d.status, status_name: d.status_name }),
        String(d.chunks),
        el("button", { type: "button", class: "plain", "data-doc": d.doc_id, onclick: () => removeDocument(d) }, "删除")])));
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

async function removeDocument(doc) {
  if (!window.confirm(`确定删除《${doc.title || doc.source}》？删除后其全部索引一并移除。`)) return;
  const status = $("upload-status");
  try {
    const result = await api(`/api/documents/${encodeURIComponent(doc.doc_id)}`, { method: "DELETE", headers: keyHeaders() });
    show(status, el("p", {}, `已删除 ${result.removed.source}（${result.removed.chunks} 块）`));
    loadDocuments();
  } catch (error) {
    show(status, errorBox(error.message));
  }
}

function upload(event) {
  event.preventDefault();
  const files = $("upload-files").files;
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const bar = el("progress", { max: "100", value: "0" });
  const label = el("p", {}, "正在上传…");
  show($("upload-status"), label, bar);
  const request = new XMLHttpRequest();
  request.open("POST", "/api/documents");
  for (const [name, value] of Object.entries(keyHeaders())) request.setRequestHeader(name, value);
  request.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round(30 * e.loaded / e.total); };
  request.onload = () => {
    let body = null;
    try { body = JSON.parse(request.responseText); } catch { body = null; }
    if (request.status !== 202) {
      show($("upload-status"), errorBox((body && body.detail) || `上传失败（HTTP ${request.status}）`));
      return;
    }
    followJob(body.id, label, bar);
  };
  request.onerror = () => show($("upload-status"), errorBox("上传失败：无法连接服务"));
  request.send(form);
}

async function followJob(id, label, bar) {
  for (;;) {
    let job;
    try {
      job = await api(`/api/jobs/${id}`);
    } catch (error) {
      show($("upload-status"), errorBox(error.message));
      return;
    }
    bar.value = 30 + Math.round(70 * job.progress);
    label.textContent = `${job.stage}:${job.done}/${job.total} 个文件`;
    if (job.status === "done") {
      const r = job.report;
      label.textContent = `导入完成：新增 ${r.added} 篇，更新 ${r.updated} 篇，未变 ${r.unchanged} 篇，写入 ${r.chunks} 个文本块`;
      if (r.errors.length) $("upload-status").append(...r.errors.map((e) => errorBox(e.error)));
      loadDocuments();
      return;
    }
    if (job.status === "failed" || job.status === "cancelled") {
      show($("upload-status"), errorBox(job.error || job.stage));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// --- tabs ----------------------------------------------------------------------------

const loaders = { duties: loadDepartments, docs: loadDocuments };
const loaded = new Set();

// --- 题库体检 ---------------------------------------------------------------------------

function bankForm() {
  const form = new FormData();
  const file = $("bank-file").files[0];
  form.append("file", file, file.name);
  return form;
}

function judged(answer) {
  return { true: "正确", false: "错误" }[answer] || answer || "—";
}

async function checkBank(event) {
  event.preventDefault();
  if (!$("bank-file").files.length) return;
  const target = $("bank-result");
  $("bank-report").disabled = true;
  show(target, el("p", { class: "hint" }, "正在逐题核对…"));
  try {
    const result = await api("/api/exam/check", { method: "POST", body: bankForm(), headers: keyHeaders() });
    const flagged = result.results.filter((r) => r.verdict === "disagrees");
    const summary = el("p", { id: "bank-summary" },
      `共检查 ${result.checked} 题：一致 ${result.agrees}，不一致 ${result.disagrees}，无法判定 ${result.undecided}`);
    const rows = flagged.map((r) => el("tr", { class: "flagged" },
      el("td", {}, String(r.row)),
      el("td", {}, r.stem, el("div", { class: "path" },
        `题库答案：${judged(r.given)}　${r.corpus_answer ? `条文答案：${judged(r.corpus_answer)}` : "与现行条文不符"}`)),
      el("td", {}, el("div", { class: "path" }, `《${r.title || r.source || ""}》${r.article || ""}`), r.quote || "")));
    const table = flagged.length
      ? el("table", { id: "bank-flagged" }, el("tr", {}, el("th", {}, "题号"), el("th", {}, "题目"), el("th", {}, "条文")), ...rows)
      : el("p", { class: "hint" }, "没有与条文不一致的题。");
    show(target, summary, table);
    $("bank-report").disabled = false;
  } catch (error) {
    show(target, errorBox(error.message));
  }
}

async function downloadBankReport() {
  try {
    const response = await fetch("/api/exam/check?format=xlsx", { method: "POST", body: bankForm(), headers: keyHeaders() });
    if (!response.ok) throw new Error((await response.json()).detail);
    const name = $("bank-file").files[0].name.replace(/\.[^.]+$/, "");
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `${name}.体检.xlsx` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    $("bank-result").append(errorBox(error.message));
  }
}

function openTab(name) {
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const section of document.querySelectorAll("section.tab")) section.hidden = section.id !== `tab-${name}`;
  if (loaders[name] && !loaded.has(name)) { loaded.add(name); loaders[name](); }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => openTab(button.dataset.tab));
  $("ask-form").addEventListener("submit", ask);
  $("ask-new").addEventListener("click", newTopic);
  $("duty-form").addEventListener("submit", searchDuties);
  $("dept-filter").addEventListener("input", listDepartments);
  $("target-form").addEventListener("submit", searchTargets);
  $("exam-form").addEventListener("submit", makeExam);
  for (const button of document.querySelectorAll("#exam-form button[data-format]")) {
    button.addEventListener("click", () => downloadExam(button.dataset.format));
  }
  $("bank-form").addEventListener("submit", checkBank);
  $("bank-report").addEventListener("click", downloadBankReport);
  $("bank-file").addEventListener("change", () => { $("bank-report").disabled = true; });
  $("upload-form").addEventListener("submit", upload);
  $("upload-files").addEventListener("change", () => {
    const names = [...$("upload-files").files].map((f) => f.name);
    $("upload-chosen").textContent = names.length ? names.join("、") : "未选择文件";
  });
  const start = location.hash.slice(1);
  openTab(document.getElementById(`tab-${start}`) ? start : "ask");
});
