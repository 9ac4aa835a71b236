// The web chat page: talks to the public /v1 API only. Every piece of document text is put
// on the page with textContent, never as HTML, so markup inside documents shows as text.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem("assistant-key") || "", scopes: [],
  conversation: sessionStorage.getItem("assistant-conversation") || null };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) { askForKey("That key was not accepted."); throw new Error("key"); }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (_) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return response;
}

function askForKey(message = "") {
  $("key-error").textContent = message;
  $("key-button").hidden = false;
  if (!$("key-dialog").open) $("key-dialog").showModal();
  $("key-input").focus();
}

async function start() {
  const me = await (await fetch("/v1/me", { headers: state.key ?
    { Authorization: `Bearer ${state.key}` } : {} })).json();
  if (me.auth_required) $("key-button").hidden = false;
  if (me.auth_required && !me.authenticated) { askForKey(state.key ? "That key was not accepted." : ""); return; }
  state.scopes = me.scopes;
  $("upload-form").hidden = !state.scopes.includes("write");
  await loadFacets();
  if (state.conversation) await restoreConversation();
  await openLinkedPassage();
}

// Chat bots link a source as /#doc=ID&start=S&end=E&page=P: open it highlighted.
async function openLinkedPassage() {
  const link = new URLSearchParams(location.hash.slice(1));
  if (!link.get("doc")) return;
  const number = (name) => Number.parseInt(link.get(name) || "0", 10) || 0;
  await openDocument(link.get("doc"), { start: number("start"), end: number("end"),
    page: number("page") || null });
}

async function loadFacets() {
  const facets = await (await api("/v1/facets")).json();
  for (const select of [$("filter-committee"), $("docs-committee")]) fill(select, facets.committees);
  for (const select of [$("filter-type"), $("docs-type")]) fill(select, facets.doc_types);
  for (const input of [$("filter-from"), $("docs-from")]) input.min = facets.date_min || "";
  for (const input of [$("filter-to"), $("docs-to")]) input.max = facets.date_max || "";
}

function fill(select, values) {
  select.replaceChildren(el("option", { value: "", text: "Any" }),
    ...values.map((v) => el("option", { value: v, text: v })));
}

function filters() {
  const f = {};
  if ($("filter-committee").value) f.committee = $("filter-committee").value;
  if ($("filter-type").value) f.doc_types = [$("filter-type").value];
  if ($("filter-from").value) f.date_from = $("filter-from").value;
  if ($("filter-to").value) f.date_to = $("filter-to").value;
  return Object.keys(f).length ? f : null;
}

async function ask(event) {
  event.preventDefault();
  const message = $("question").value.trim();
  if (!message) return;
  $("ask-button").disabled = true;
  const turn = el("li", { class: "turn" }, el("p", { class: "question", text: message }));
  const text = el("p", { class: "answer", text: "…" });
  turn.append(text);
  $("thread").append(turn);
  try {
    const response = await api("/v1/chat", { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message, conversation_id: state.conversation, filters: filters(),
        stream: true }) });
    const answer = await readEvents(response, (piece) => {
      text.textContent = (text.textContent === "…" ? "" : text.textContent) + piece;
    });
    setConversation(answer.conversation_id);
    renderAnswer(turn, answer);
    $("question").value = "";
  } catch (error) {
    text.textContent = `Could not answer: ${error.message}`;
    text.classList.add("error");
  } finally {
    $("ask-button").disabled = false;
    $("question").focus();
  }
}

async function readEvents(response, onDelta) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", final = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "null");
      if (name === "delta") onDelta(data.text);
      if (name === "done") final = data;
    }
  }
  if (!final) throw new Error("the answer stream ended early");
  return final;
}

function renderAnswer(turn, answer) {
  turn.querySelector(".answer").remove();
  const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
  const body = el("div", { class: answer.answerable ? "answered" : "not-found" });
  if (answer.read_as) body.append(el("p", { class: "source-meta", text: `Read as: “${answer.read_as}”` }));
  if (answer.unmentioned && answer.unmentioned.length) {
    const quoted = answer.unmentioned.map((w) => `“${w}”`);
    const words = quoted.length > 1 ? `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}` : quoted[0];
    body.append(el("p", { class: "source-meta unmentioned", text: answer.answerable
      ? `The cited documents never mention ${words}: check that they answer what you asked.`
      : `The documents found never mention ${words}.` }));
  }
  if (!answer.answerable) {
    body.append(el("p", { class: "notice", text: "The documents do not answer this question." }));
  }
  const text = el("p", { class: "answer" });
  const shown = answer.answerable ? answer.answer : "";
  for (const part of shown.split(/(\[\d+\])/)) {
    const match = part.match(/^\[(\d+)\]$/);
    const citation = match && byNumber.get(Number(match[1]));
    text.append(citation ? citeButton(citation) : document.createTextNode(part));
  }
  if (shown) body.append(text);
  if (answer.citations.length) {
    body.append(el("p", { class: "source-meta", text: answer.answerable ? "Sources" : "Possibly related" }));
    body.append(el("ol", { class: "sources" }, ...answer.citations.map(sourceItem)));
  }
  body.append(el("div", { class: "row" }, el("button", { type: "button", text: "Copy answer",
    onclick: (e) => copy(answer, e.target) })));
  turn.append(body);
}

function citeButton(citation) {
  return el("button", { type: "button", class: "cite", text: `[${citation.n}]`,
    "aria-label": `Source ${citation.n}: ${citation.title || citation.doc_id}`,
    onclick: () => openDocument(citation.doc_id, citation) });
}

function describe(c) {
  return [c.doc_type, c.committee, c.meeting_date && `meeting ${c.meeting_date}`,
    c.page && `page ${c.page}`, c.section && `§ ${c.section}`,
    c.speaker && `${c.speaker} speaking`].filter(Boolean).join(" · ");
}

function sourceItem(c) {
  return el("li", {},
    el("button", { type: "button", class: "source-title", text: `${c.title || c.doc_id}`,
      onclick: () => openDocument(c.doc_id, c) }),
    el("div", { class: "source-meta", text: describe(c) }),
    el("blockquote", { text: c.quote }));
}

async function copy(answer, button) {
  const lines = [answer.answer, "", answer.answerable ? "Sources:" : "Possibly related:"];
  for (const c of answer.citations) {
    lines.push(`[${c.n}] ${c.title || c.doc_id} (${describe(c)})`, `    "${c.quote.replace(/\s+/g, " ")}"`);
    if (c.url && !c.url.startsWith("file:")) lines.push(`    ${c.url}`);
  }
  const plain = lines.join("\n");
  try { await navigator.clipboard.writeText(plain); } catch (_) {
    const area = el("textarea", { text: plain });
    document.body.append(area); area.select(); document.execCommand("copy"); area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy answer"; }, 2000);
}

async function openDocument(docId, citation = null) {
  const doc = await (await api(`/v1/documents/${encodeURIComponent(docId)}`)).json();
  $("viewer-title").textContent = doc.title || doc.doc_id;
  $("viewer-meta").textContent = [doc.doc_type, doc.committee,
    doc.meeting_date && `meeting ${doc.meeting_date}`, citation && citation.page && `page ${citation.page}`]
    .filter(Boolean).join(" · ");
  const start = citation ? citation.start : 0, end = citation ? citation.end : 0;
  const mark = el("mark", { text: doc.text.slice(start, end) });
  $("viewer-text").replaceChildren(document.createTextNode(doc.text.slice(0, start)),
    ...(end > start ? [mark] : []), document.createTextNode(doc.text.slice(end)));
  const link = $("viewer-link");
  link.onclick = (event) => { event.preventDefault(); openOriginal(doc, citation); };
  $("viewer").hidden = false;
  $("viewer").focus();
  if (end > start) mark.scrollIntoView({ block: "center" });
}

async function openOriginal(doc, citation) {
  const page = citation && citation.page && doc.format === "pdf" ? `#page=${citation.page}` : "";
  if (doc.url) { window.open(doc.url + page, "_blank", "noopener"); return; }
  const blob = await (await api(`/v1/documents/${encodeURIComponent(doc.doc_id)}/file`)).blob();
  window.open(URL.createObjectURL(blob) + page, "_blank", "noopener");
}

function setConversation(id) {
  state.conversation = id;
  sessionStorage.setItem("assistant-conversation", id);
  $("conversation-label").textContent = `Conversation ${id.slice(0, 8)}`;
}

async function restoreConversation() {
  try {
    const data = await (await api(`/v1/conversations/${state.conversation}`)).json();
    for (const turn of data.turns) {
      const item = el("li", { class: "turn" }, el("p", { class: "question", text: turn.question }),
        el("p", { class: "answer" }));
      $("thread").append(item);
      renderAnswer(item, turn.answer);
    }
    setConversation(state.conversation);
  } catch (_) { newConversation(); }
}

function newConversation() {
  state.conversation = null;
  sessionStorage.removeItem("assistant-conversation");
  $("thread").replaceChildren();
  $("conversation-label").textContent = "New conversation";
  $("question").focus();
}

function showView(name) {
  $("ask-view").hidden = name !== "ask";
  $("docs-view").hidden = name !== "docs";
  $("tab-ask").setAttribute("aria-pressed", String(name === "ask"));
  $("tab-docs").setAttribute("aria-pressed", String(name === "docs"));
  if (name === "docs") listDocuments();
}

async function listDocuments(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams({ limit: "200" });
  for (const [name, id] of [["committee", "docs-committee"], ["doc_type", "docs-type"],
    ["date_from", "docs-from"], ["date_to", "docs-to"]]) if ($(id).value) params.set(name, $(id).value);
  const data = await (await api(`/v1/documents?${params}`)).json();
  $("docs-count").textContent = `${data.total} document${data.total === 1 ? "" : "s"}`;
  $("docs-list").replaceChildren(...data.documents.map((d) => el("li", { class: "doc-item" },
    el("button", { type: "button", text: d.title || d.doc_id, onclick: () => openDocument(d.doc_id) }),
    el("div", { class: "source-meta", text: [d.doc_type, d.committee, d.meeting_date,
      d.restricted ? "restricted" : ""].filter(Boolean).join(" · ") }))));
}

async function upload(event) {
  event.preventDefault();
  const form = new FormData();
  for (const file of $("upload-files").files) form.append("files", file);
  if ($("upload-restricted").checked) form.append("restricted", "true");
  $("upload-button").disabled = true;
  try {
    let job = await (await api("/v1/documents", { method: "POST", body: form })).json();
    showJob(job);
    while (job.status === "queued" || job.status === "running") {
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await (await api(`/v1/jobs/${job.job_id}`)).json();
      showJob(job);
    }
    await loadFacets();
    await listDocuments();
  } catch (error) {
    $("upload-status").replaceChildren(el("li", { class: "error", text: `Upload failed: ${error.message}` }));
  } finally { $("upload-button").disabled = false; }
}

function showJob(job) {
  $("upload-status").replaceChildren(...job.files.map((f) => el("li", {
    class: f.status === "failed" ? "error" : "",
    text: `${f.filename}: ${f.status === "pending" ? `${job.status}…` : f.status}` +
      (f.reason ? ` (${f.reason})` : "") })));
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
  });
  $("new-conversation").addEventListener("click", newConversation);
  $("tab-ask").addEventListener("click", () => showView("ask"));
  $("tab-docs").addEventListener("click", () => showView("docs"));
  $("docs-filter").addEventListener("submit", listDocuments);
  $("upload-form").addEventListener("submit", upload);
  $("viewer-close").addEventListener("click", () => { $("viewer").hidden = true; $("question").focus(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("viewer").hidden = true; });
  $("key-button").addEventListener("click", () => askForKey());
  window.addEventListener("hashchange", () => openLinkedPassage().catch(console.error));
  $("key-form").addEventListener("submit", () => {
    state.key = $("key-input").value.trim();
    sessionStorage.setItem("assistant-key", state.key);
    start();
  });
  start().catch((error) => { if (error.message !== "key") console.error(error); });
});
