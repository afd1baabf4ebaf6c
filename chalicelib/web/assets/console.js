// The staff console (/staff/): sign in, the work queue, a case and its actions, supervision, the calendar.
// Plain ES module; every piece of data goes into the page as text (el()), never as HTML. The staff token
// lives in this module's memory only: a reload signs out.

import { api, el, formatDate, formatDateTime, language, renderLanguages, translator } from "./common.js";
import { TEXTS } from "./console-texts.js";

const t = translator(TEXTS);
const main = document.getElementById("main");

const STATUSES = [
  "received", "accepted", "rejected", "transferred", "assigned",
  "investigating", "mediating", "responded", "closed", "withdrawn",
];
const REJECT_REASONS = [
  "not_consumer_dispute", "past_guarantee", "already_mediated", "handled_elsewhere", "time_barred",
  "no_harm_shown", "disclosed_defect_or_misuse", "respondent_unknown", "unlawful",
];
const MEDIATION_ENDS = [
  "complainant_withdrew", "party_refused", "party_absent", "went_to_court_or_arbitration",
  "settled_privately", "time_limit",
];
const ROLES = ["clerk", "handler", "supervisor", "admin"];
const SOON_MS = 3 * 24 * 3600 * 1000;
const PKCE_KEY = "staff-pkce";

/** Who is signed in: {token, id, name, roles, method}; null when nobody is. Memory only. */
let session = null;
let signInConfig = null;
/** The work queue's filters and what has been loaded, kept while the page lives. */
const queue = { filters: { status: "", unit: "", handler: "", overdue: false }, items: [], cursor: null, loaded: false };
/** Each render gets a number: an answer arriving after the reader moved on is dropped. */
let renderCount = 0;

// ---- small helpers -----------------------------------------------------------------------------

const label = (prefix, value) => (value ? t(`${prefix}.${value}`) : "");
/** Whether there is a text for `key` (in the reader's language or in Chinese). */
const known = (key) => key in (TEXTS[language()] ?? {}) || key in TEXTS["zh-CN"];
/** The text for `key`, or `fallback` when there is none. */
const textOr = (key, fallback, vars) => (known(key) ? t(key, vars) : fallback);
/** A name the API uses, as words, for what has no text yet ("working_days" → "working days"). */
const readable = (name) => String(name).replace(/_/g, " ");

/** Which texts name a field's values, by the field: the first of these prefixes with a text for the value. */
const VALUE_TEXTS = {
  reason: ["pause", "end"],
  pause_reason: ["pause"],
  reason_code: ["reason"],
  clock: ["clock"],
  outcome: ["outcome"],
  severity: ["severity"],
  channel: ["channel"],
  sent_by: ["channel"],
  kind: ["kind"],
  step: ["mediation"],
  about: ["about"],
  resume_to: ["step"],
  escalate_to: ["role"],
  after: ["status"],
};
/** Fields holding an instant (shown as date and time) or a day. */
const MOMENTS = new Set(["at", "since", "started_at", "time", "recorded_at"]);
const DAYS = new Set(["due_date", "purchase_date"]);

/** A field's label where it is shown (`context`: "paused", "mediation", a timeline entry's type …), else its
 * general label, else its name as words. */
function detailName(key, context) {
  return textOr(`detail.${context}.${key}`, null) ?? textOr(`detail.${key}`, readable(key));
}

/** A field's value as the reader reads it: codes named, dates as dates, lengths in their clock's unit. */
function detailValue(key, value, data, record) {
  if (typeof value === "boolean") return t(value ? "yes" : "no");
  if (Array.isArray(value)) {
    const items = value.filter((v) => typeof v === "string" || typeof v === "number");
    return items.map((v) => textOr(`detail.${v}`, String(v))).join(t("detail.and"));
  }
  if (typeof value !== "string" && typeof value !== "number") return "";
  if (MOMENTS.has(key) && typeof value === "string" && !Number.isNaN(Date.parse(value))) return formatDateTime(value);
  if (DAYS.has(key) && typeof value === "string") return formatDate(value);
  const basis = record?.deadlines?.[data.clock]?.basis;
  if (key === "length" && basis) return t(`basis.${basis}`, { n: value });
  const prefix = (VALUE_TEXTS[key] ?? []).find((p) => known(`${p}.${value}`));
  return prefix ? t(`${prefix}.${value}`) : String(value);
}

/** [label, value] rows of an object the API sends (a paused case, a timeline entry …), nested objects left out. */
function details(data, context, record, skip = new Set()) {
  return Object.entries(data ?? {})
    .filter(([key, value]) => !skip.has(key) && value !== null && value !== undefined && value !== "")
    .map(([key, value]) => [detailName(key, context), detailValue(key, value, data, record)])
    .filter(([, value]) => value !== "");
}

function hasRole(...roles) {
  return Boolean(session && roles.some((role) => session.roles.includes(role)));
}

function decodeClaims(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(parts[1].length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

function call(method, path, body) {
  return api(method, path, { body, token: session?.token });
}

function heading(text) {
  return el("h1", { tabindex: "-1", id: "view-title" }, text);
}

function show(...children) {
  main.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
  const title = main.querySelector("h1");
  if (title) title.focus();
}

function definitionList(rows) {
  const list = el("dl", { class: "facts" });
  for (const [name, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", {}, name), el("dd", {}, value));
  }
  return list;
}

/** What a failed request means for the reader, and what to do next (a retry, sign in again …). */
function problem(answer, retry) {
  const box = el("div", { class: "error-summary", role: "alert" });
  const code = answer.body?.error?.code;
  if (answer.status === 0) box.append(el("p", {}, t("error.network")));
  else if (answer.status === 401) {
    session = null;
    renderWho();
    box.append(el("p", {}, t("sign-in.expired")), el("p", {}, el("a", { href: "#sign-in" }, t("sign-in.title"))));
    return box;
  } else if (answer.status === 403) box.append(el("p", {}, t("error.forbidden")));
  else if (answer.status === 404) box.append(el("p", {}, t("error.not-found")));
  else if (code === "version_conflict") box.append(el("p", {}, t("error.conflict")));
  else if (code === "invalid_state") {
    // and why, in the API's words: a state the reader can change (paused …) or a rule (an extension's limit)
    box.append(el("p", {}, t("error.invalid-state")));
    if (answer.body?.error?.message) box.append(el("p", { class: "hint" }, t("error.detail", { detail: answer.body.error.message })));
  } else if (answer.status === 400 || answer.status === 422) {
    box.append(el("p", {}, t("error.invalid")));
    const fields = answer.body?.error?.fields ?? {};
    const items = Object.entries(fields).map(([name, why]) => el("li", {}, `${textOr(`field.${name}`, readable(name))}: ${why}`));
    if (!items.length) items.push(el("li", {}, answer.body?.error?.message ?? ""));
    box.append(el("ul", {}, items));
  } else if (answer.status >= 500) box.append(el("p", {}, t("error.server", { status: answer.status })));
  else box.append(el("p", {}, t("error.generic", { message: answer.body?.error?.message ?? answer.status })));
  if (retry) box.append(el("button", { type: "button", class: "secondary", onclick: retry }, code === "version_conflict" || code === "invalid_state" ? t("reload") : t("retry")));
  return box;
}

// ---- the frame: languages, navigation, who is signed in -----------------------------------------

/**
 * The header, arranged once: on a phone the views and the languages fold behind a menu button, so the bar is
 * two rows (the brand and the menu; who is signed in and signing out). The languages move before "who" so
 * the keyboard meets everything in the order a phone shows it.
 */
function arrangeHeader() {
  if (document.getElementById("menu-toggle")) return;
  const header = document.querySelector("header.bar");
  const views = document.getElementById("views");
  header.insertBefore(document.getElementById("languages"), document.getElementById("who"));
  const toggle = el(
    "button",
    {
      type: "button",
      id: "menu-toggle",
      "aria-expanded": "false",
      "aria-controls": "views languages",
      onclick: () => setMenu(toggle.getAttribute("aria-expanded") !== "true"),
    },
    el("span", { "aria-hidden": "true" }, "☰ "),
    el("span", { id: "menu-label" }),
  );
  header.insertBefore(toggle, views);
  views.addEventListener("click", (event) => {
    if (event.target.closest("a")) setMenu(false);
  });
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.classList.contains("menu-open")) {
      setMenu(false);
      toggle.focus();
    }
  });
}

function setMenu(open) {
  document.querySelector("header.bar").classList.toggle("menu-open", open);
  document.getElementById("menu-toggle").setAttribute("aria-expanded", String(open));
}

function renderFrame() {
  arrangeHeader();
  document.documentElement.lang = language();
  document.title = t("console");
  document.getElementById("brand").textContent = t("console");
  document.getElementById("menu-label").textContent = t("nav.menu");
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = t("skip");
  renderLanguages(t("nav.languages"), () => {
    renderFrame();
    render();
  });
  renderWho();
}

function renderWho() {
  const views = document.getElementById("views");
  const who = document.getElementById("who");
  views.setAttribute("aria-label", t("nav.views"));
  const current = location.hash.split("/")[0] || "#queue";
  const link = (hash, key) => el("a", { href: hash, "aria-current": current === hash ? "page" : null }, t(key));
  document.querySelector("header.bar").classList.toggle("signed-in", Boolean(session));
  if (!session) {
    setMenu(false);
    views.replaceChildren();
    who.replaceChildren();
    return;
  }
  const links = [link("#queue", "nav.queue"), link("#calendar", "nav.calendar")];
  if (hasRole("supervisor", "admin")) links.splice(1, 0, link("#supervision", "nav.supervision"));
  views.replaceChildren(...links);
  who.replaceChildren(
    el(
      "span",
      { class: "identity" },
      el("span", {}, t("who", { name: session.name, id: session.id })),
      el("span", {}, t("who.roles", { roles: session.roles.map((r) => t(`role.${r}`)).join(t("detail.and")) })),
    ),
    el("button", { type: "button", id: "sign-out", onclick: signOut }, t("sign-out")),
  );
}

function signOut() {
  const method = session?.method;
  session = null;
  queue.items = [];
  queue.loaded = false;
  if (method === "cognito" && signInConfig?.logout_url) {
    const url = new URL(signInConfig.logout_url);
    url.searchParams.set("client_id", signInConfig.client_id);
    url.searchParams.set("logout_uri", `${location.origin}/staff/`);
    location.assign(url.toString());
    return;
  }
  go("#sign-in");
}

function startSession(token, method) {
  const claims = decodeClaims(token);
  if (!claims || !claims.sub) return false;
  const roles = (claims["cognito:groups"] ?? []).filter((role) => ROLES.includes(role));
  // named as the API names staff (chalicelib/api/auth.py NAME_CLAIMS): a Cognito ID token may lack `name`
  const name = ["name", "cognito:username", "email"].map((claim) => claims[claim]).find(Boolean) ?? claims.sub;
  session = { token, method, id: claims.sub, name, roles };
  return true;
}

/** Navigate: the hash changes and hashchange renders; the same hash renders at once. */
function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

// ---- sign in -----------------------------------------------------------------------------------

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function startCognito() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const url = new URL(signInConfig.authorize_url);
  const params = {
    response_type: "code",
    client_id: signInConfig.client_id,
    redirect_uri: `${location.origin}/staff/`,
    scope: "openid profile email",
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  location.assign(url.toString());
}

/** Back from Cognito with ?code=&state=: exchange the code (PKCE) for tokens and keep the id token. */
async function finishCognito() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", "/staff/#queue");
  if (error) return error;
  if (!saved || saved.state !== params.get("state")) return "state";
  const config = await api("GET", "/v1/staff/sign-in");
  if (config.status !== 200 || config.body.method !== "cognito") return "config";
  signInConfig = config.body;
  try {
    const answer = await fetch(signInConfig.token_url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: signInConfig.client_id,
        code,
        redirect_uri: `${location.origin}/staff/`,
        code_verifier: saved.verifier,
      }),
    });
    const tokens = await answer.json();
    if (!answer.ok || !tokens.id_token || !startSession(tokens.id_token, "cognito")) return tokens.error ?? "token";
  } catch {
    return "network";
  }
  return null;
}

async function viewSignIn(count, notice) {
  const title = heading(t("sign-in.title"));
  show(title, el("p", {}, t("loading")));
  const answer = await api("GET", "/v1/staff/sign-in");
  if (count !== renderCount) return;
  if (answer.status !== 200) {
    show(title, problem(answer, render));
    return;
  }
  signInConfig = answer.body;
  const parts = [title];
  if (notice) parts.push(el("p", { class: "notice", role: "status" }, notice));
  if (signInConfig.method === "cognito") {
    parts.push(
      el("p", {}, t("sign-in.cognito")),
      el("button", { type: "button", id: "cognito", onclick: startCognito }, t("sign-in.cognito.start")),
    );
    show(...parts);
    return;
  }
  const message = el("div", { id: "sign-in-message" });
  const sub = el("input", { id: "sub", name: "sub", required: true, autocomplete: "username", "aria-describedby": "sub-hint", pattern: "[A-Za-z0-9_.@\\-]+" });
  const name = el("input", { id: "staff-name", name: "name", required: true, autocomplete: "name" });
  const roles = el(
    "fieldset",
    { class: "choices" },
    el("legend", {}, t("sign-in.roles")),
    ROLES.map((role) =>
      el("label", { class: "choice" }, el("input", { type: "checkbox", name: "roles", value: role }), ` ${t(`role.${role}`)}`),
    ),
  );
  const mint = el(
    "form",
    {
      id: "local-sign-in",
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = [...mint.querySelectorAll("input[name=roles]:checked")].map((box) => box.value);
        if (!chosen.length) {
          message.replaceChildren(el("p", { class: "error", role: "alert" }, t("sign-in.need-roles")));
          return;
        }
        const minted = await api("POST", "/v1/staff/local-token", {
          body: { sub: sub.value.trim(), name: name.value.trim(), roles: chosen },
        });
        if (minted.status !== 201 || !startSession(minted.body.token, "local")) {
          message.replaceChildren(problem(minted));
          return;
        }
        renderWho();
        go("#queue");
      },
    },
    el("p", {}, t("sign-in.local")),
    el("label", { for: "sub" }, t("sign-in.sub")),
    el("p", { class: "hint", id: "sub-hint" }, t("sign-in.sub.hint")),
    sub,
    el("label", { for: "staff-name" }, t("sign-in.name")),
    name,
    roles,
    el("button", { type: "submit" }, t("sign-in.submit")),
  );
  const pasted = el("textarea", { id: "token", name: "token", rows: "3", spellcheck: "false" });
  const paste = el(
    "form",
    {
      id: "token-sign-in",
      onsubmit: (event) => {
        event.preventDefault();
        if (!startSession(pasted.value.trim(), "local")) {
          message.replaceChildren(el("p", { class: "error", role: "alert" }, t("sign-in.bad-token")));
          return;
        }
        renderWho();
        go("#queue");
      },
    },
    el("h2", {}, t("sign-in.paste")),
    el("label", { for: "token" }, t("sign-in.token")),
    pasted,
    el("button", { type: "submit", class: "secondary" }, t("sign-in.use-token")),
  );
  parts.push(message, mint, paste);
  show(...parts);
}

// ---- the work queue ----------------------------------------------------------------------------

function queuePath(filters, cursor) {
  const query = new URLSearchParams();
  if (filters.status) query.set("status", filters.status);
  if (filters.unit) query.set("unit", filters.unit);
  if (filters.handler) query.set("handler", filters.handler);
  if (filters.overdue) query.set("overdue", "true");
  if (cursor) query.set("cursor", cursor);
  const text = query.toString();
  return `/v1/staff/cases${text ? `?${text}` : ""}`;
}

function dueCell(item) {
  return el(
    "td",
    { "data-label": t("queue.col.due") },
    item.next_due_at ? formatDate(item.next_due_at) : "—",
    item.overdue ? el("strong", { class: "marker" }, ` ⚠ ${t("queue.overdue-marker")}`) : null,
  );
}

function queueTable(items) {
  const rows = items.map((item) =>
    el(
      "tr",
      { class: item.overdue ? "overdue" : null, "data-case": item.id },
      el("td", { "data-label": t("queue.col.case") }, el("a", { href: `#case/${item.id}` }, item.tracking_code)),
      el("td", { "data-label": t("queue.col.kind") }, label("kind", item.kind)),
      el("td", { "data-label": t("queue.col.status") }, label("status", item.status)),
      el("td", { "data-label": t("queue.col.respondent") }, item.respondent ?? "—"),
      el("td", { "data-label": t("queue.col.owner") }, [item.unit, item.handler].filter(Boolean).join(" / ") || "—"),
      dueCell(item),
      el(
        "td",
        { "data-label": t("queue.col.flags") },
        item.incomplete ? el("span", { class: "tag" }, t("queue.incomplete")) : "",
      ),
    ),
  );
  const columns = ["case", "kind", "status", "respondent", "owner", "due", "flags"];
  return el(
    "table",
    { class: "queue" },
    el("caption", { class: "visually-hidden" }, t("queue.caption")),
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, t(`queue.col.${c}`))))),
    el("tbody", {}, rows),
  );
}

function statusCounts(items) {
  const counts = new Map();
  for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  return el(
    "p",
    { id: "queue-counts", role: "status" },
    t("queue.counts", { count: items.length }),
    [...counts].map(([status, n]) => ` · ${label("status", status)} ${n}`),
  );
}

async function viewQueue(count) {
  const title = heading(t("queue.title"));
  const f = queue.filters;
  const status = el(
    "select",
    { id: "filter-status", name: "status" },
    el("option", { value: "" }, t("all")),
    STATUSES.map((s) => el("option", { value: s, selected: f.status === s }, label("status", s))),
  );
  const unit = el("input", { id: "filter-unit", name: "unit", value: f.unit, pattern: "[A-Za-z0-9_.\\-]{1,64}" });
  const handler = el("input", { id: "filter-handler", name: "handler", value: f.handler });
  const overdue = el("input", { type: "checkbox", id: "filter-overdue", name: "overdue", checked: f.overdue });
  const results = el("div", { id: "queue-results" });
  const form = el(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": t("queue.filters"),
      onsubmit: (event) => {
        event.preventDefault();
        queue.filters = { status: status.value, unit: unit.value.trim(), handler: handler.value.trim(), overdue: overdue.checked };
        queue.loaded = false;
        load(false);
      },
    },
    el("div", {}, el("label", { for: "filter-status" }, t("queue.status")), status),
    el("div", {}, el("label", { for: "filter-unit" }, t("queue.unit")), unit),
    el("div", {}, el("label", { for: "filter-handler" }, t("queue.handler")), handler),
    el("div", { class: "check" }, el("label", { for: "filter-overdue", class: "choice" }, overdue, ` ${t("queue.overdue")}`)),
    el("div", {}, el("button", { type: "submit" }, t("queue.apply"))),
  );

  function draw() {
    const parts = [statusCounts(queue.items)];
    parts.push(queue.items.length ? queueTable(queue.items) : el("p", {}, t("queue.empty")));
    if (queue.cursor) {
      parts.push(el("button", { type: "button", class: "secondary", id: "more", onclick: () => load(true) }, t("queue.more")));
    }
    results.replaceChildren(...parts);
  }

  async function load(more) {
    results.setAttribute("aria-busy", "true");
    const answer = await call("GET", queuePath(queue.filters, more ? queue.cursor : null));
    results.removeAttribute("aria-busy");
    if (count !== renderCount) return;
    if (answer.status !== 200) {
      results.replaceChildren(problem(answer, () => load(more)));
      return;
    }
    queue.items = more ? [...queue.items, ...answer.body.items] : answer.body.items;
    queue.cursor = answer.body.next_cursor;
    queue.loaded = true;
    draw();
  }

  show(title, form, results);
  results.replaceChildren(el("p", {}, t("loading")));
  await load(false);
}

// ---- a case ------------------------------------------------------------------------------------

/** The fields of each action's form: the body its endpoint takes (besides `version`). */
function actionFields(action, record) {
  const options = (prefix, values) => values.map((value) => ({ value, text: t(`${prefix}.${value}`) }));
  const clocks = Object.keys(record.deadlines ?? {});
  switch (action) {
    case "decide":
      return [
        { name: "decision", type: "radio", options: options("decision", ["accept", "reject", "transfer"]), required: true },
        { name: "reason_code", type: "select", options: options("reason", REJECT_REASONS), empty: true },
        { name: "transfer_to", type: "text" },
        { name: "severity", type: "select", options: options("severity", ["major", "general", "minor"]), empty: true },
        { name: "note", type: "textarea" },
      ];
    case "complete":
      return [
        { name: "respondent", type: "text" },
        { name: "respondent_address", type: "text" },
        { name: "request", type: "textarea" },
        record.anonymous ? null : { name: "complainant_name", type: "text" },
      ].filter(Boolean);
    case "assign":
      return [
        { name: "unit", type: "text", required: true, value: record.unit ?? "" },
        { name: "handler", type: "text", required: true, value: record.handler?.id ?? "" },
        { name: "handler_name", type: "text", value: record.handler?.name ?? "" },
      ];
    case "findings":
      return [{ name: "text", type: "textarea", required: true }];
    case "pause":
      return [
        { name: "reason", label: "field.pause_reason", type: "select", options: options("pause", ["appraisal", "testing"]), required: true },
        { name: "note", type: "textarea" },
      ];
    case "resume":
    case "close":
      return [{ name: "note", type: "textarea" }];
    case "mediation":
      if (record.status === "mediating") {
        return [
          { name: "step", type: "select", options: options("mediation", ["agreement", "terminate"]), required: true },
          { name: "terms", type: "textarea" },
          { name: "reason", label: "field.end_reason", type: "select", options: options("end", MEDIATION_ENDS), empty: true },
          { name: "note", type: "textarea" },
        ];
      }
      return [
        { name: "step", type: "fixed", value: "start" },
        { name: "complainant_consents", type: "checkbox", required: true },
        { name: "respondent_consents", type: "checkbox", required: true },
        { name: "time", type: "datetime" },
        { name: "place", type: "text" },
        { name: "mediator", type: "text" },
        { name: "note", type: "textarea" },
      ];
    case "extension": {
      const pending = record.pending_extension;
      if (pending) {
        // decided by a supervisor other than the one who asked (the API refuses anyone else)
        if (!hasRole("supervisor") || pending.by === session?.id) return "case.extension-waiting";
        return [
          { name: "step", label: "extension.decide", type: "radio", options: options("extension", ["approve", "refuse"]), required: true },
          { name: "clock", type: "fixed", value: pending.clock },
          { name: "reason", label: "field.refuse_reason", type: "textarea" },
        ];
      }
      // the running clocks the policy still lets be extended (a limit of 0: never)
      const extendable = clocks.filter((c) => record.deadlines[c].running && record.deadlines[c].extension_left !== 0);
      if (!extendable.length) return "case.extension-none";
      const most = Math.max(...extendable.map((c) => record.deadlines[c].extension_left ?? 60));
      return [
        { name: "step", type: "fixed", value: "request" },
        { name: "clock", type: "select", options: extendable.map((c) => ({ value: c, text: t(`clock.${c}`) })), required: true },
        { name: "working_days", type: "number", min: "1", max: String(most), required: true },
        { name: "reason", label: "field.ext_reason", type: "textarea", required: true },
      ];
    }
    case "respond":
      return [
        { name: "message", type: "textarea", required: true },
        { name: "outcome", type: "select", options: options("outcome", ["resolved", "partly_resolved", "not_resolved"]), required: true },
        { name: "compensation_amount", type: "number", min: "0", step: "0.01" },
      ];
    case "reopen":
      return [{ name: "reason", type: "textarea", required: true }];
    case "notify":
      return [{ name: "channel", type: "select", options: ["sms", "phone", "email", "letter"].map((c) => ({ value: c, text: t(`channel.${c}`) })), empty: true }];
    default:
      return [];
  }
}

function control(action, spec) {
  const id = `${action}-${spec.name}`;
  const text = t(spec.label ?? `field.${spec.name}`) + (spec.required ? ` (${t("field.required")})` : "");
  switch (spec.type) {
    case "fixed":
      return null;
    case "radio":
      return el(
        "fieldset",
        { class: "choices" },
        el("legend", {}, text),
        spec.options.map((option, index) =>
          el(
            "label",
            { class: "choice" },
            el("input", { type: "radio", name: spec.name, value: option.value, required: spec.required, checked: index === 0 }),
            ` ${option.text}`,
          ),
        ),
      );
    case "checkbox":
      return el("div", { class: "check" }, el("label", { class: "choice", for: id }, el("input", { type: "checkbox", id, name: spec.name, required: spec.required }), ` ${text}`));
    case "select":
      return el(
        "div",
        {},
        el("label", { for: id }, text),
        el(
          "select",
          { id, name: spec.name, required: spec.required },
          spec.empty ? el("option", { value: "" }, "—") : null,
          spec.options.map((option) => el("option", { value: option.value, selected: spec.value === option.value }, option.text)),
        ),
      );
    case "textarea":
      return el("div", {}, el("label", { for: id }, text), el("textarea", { id, name: spec.name, required: spec.required, rows: "3" }));
    case "number":
      return el("div", {}, el("label", { for: id }, text), el("input", { id, name: spec.name, type: "number", inputmode: "decimal", min: spec.min, max: spec.max, step: spec.step, required: spec.required }));
    case "datetime":
      return el("div", {}, el("label", { for: id }, text), el("input", { id, name: spec.name, type: "datetime-local" }));
    default:
      return el("div", {}, el("label", { for: id }, text), el("input", { id, name: spec.name, value: spec.value ?? "", required: spec.required }));
  }
}

function bodyOf(form, specs, version) {
  const body = { version };
  for (const spec of specs) {
    if (spec.type === "fixed") {
      body[spec.name] = spec.value;
      continue;
    }
    const input = form.elements[spec.name];
    if (spec.type === "checkbox") {
      body[spec.name] = input.checked;
      continue;
    }
    const value = (spec.type === "radio" ? form.querySelector(`input[name=${spec.name}]:checked`)?.value : input.value)?.trim();
    if (!value) continue;
    if (spec.type === "number") body[spec.name] = Number(value);
    else if (spec.type === "datetime") body[spec.name] = `${value.length === 16 ? `${value}:00` : value}+08:00`;
    else body[spec.name] = value;
  }
  return body;
}

function actionForm(record, action, onDone) {
  const specs = actionFields(action, record);
  if (typeof specs === "string") {
    // nothing to send now, and why (an extension waiting for another supervisor, no clock left to extend)
    return el("div", { class: "action", "data-action-waiting": action }, el("h3", {}, t(`action.${action}`)), el("p", {}, t(specs)));
  }
  const message = el("div", { class: "action-message" });
  const form = el(
    "form",
    {
      class: "action",
      "data-action": action,
      "aria-labelledby": `action-${action}`,
      onsubmit: async (event) => {
        event.preventDefault();
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        const answer = await call("POST", `/v1/staff/cases/${encodeURIComponent(record.id)}/${action}`, bodyOf(form, specs, record.version));
        button.disabled = false;
        if (answer.status === 200) {
          onDone(answer.body, action);
          return;
        }
        const conflict = answer.body?.error?.code === "version_conflict" || answer.body?.error?.code === "invalid_state";
        message.replaceChildren(problem(answer, conflict ? () => onDone(null, null) : null));
        message.querySelector("button")?.focus();
      },
    },
    el("h3", { id: `action-${action}` }, t(`action.${action}`)),
    specs.map((spec) => control(action, spec)),
    el("button", { type: "submit" }, t("action.submit", { action: t(`action.${action}`) })),
    message,
  );
  return form;
}

function deadlineRows(deadlines) {
  return Object.entries(deadlines ?? {}).map(([name, clock]) => {
    const states = [];
    if (clock.overdue) states.push(el("strong", { class: "marker" }, `⚠ ${t("case.overdue")}`));
    if (clock.stopped_at) states.push(t("case.stopped"));
    else if (clock.paused) states.push(t("case.paused"));
    else if (clock.days_left !== null && clock.days_left !== undefined) {
      // counted by the server in the clock's own unit (its calendar of working days)
      const unit = clock.basis === "working_days" ? "working" : "calendar";
      if (clock.days_left >= 0) states.push(t(`case.days-left.${unit}`, { n: clock.days_left }));
      else states.push(t(`case.days-late.${unit}`, { n: -clock.days_left }));
    }
    if (clock.estimated) states.push(t("case.estimated"));
    if (clock.extended) states.push(t("case.extended", { n: t(`basis.${clock.basis}`, { n: clock.extended }) }));
    if (clock.escalated_at) states.push(t("case.escalated", { at: formatDateTime(clock.escalated_at) }));
    return el(
      "tr",
      { class: clock.overdue && !clock.stopped_at ? "overdue" : null },
      el("th", { scope: "row", "data-label": t("case.clock") }, t(`clock.${name}`)),
      el("td", { "data-label": t("case.due") }, formatDate(clock.due_date)),
      el("td", { "data-label": t("case.length") }, t(`basis.${clock.basis}`, { n: clock.length })),
      el("td", { "data-label": t("case.state") }, states.flatMap((s, i) => (i ? ["；", s] : [s]))),
    );
  });
}

function timelineList(timeline, record) {
  const skip = new Set(["at", "type", "actor", "public"]);
  return el(
    "ol",
    { class: "timeline" },
    [...timeline].reverse().map((entry) =>
      el(
        "li",
        { class: entry.type === "escalated" ? "escalated" : null },
        el("time", { datetime: entry.at }, formatDateTime(entry.at)),
        " ",
        el("strong", {}, textOr(`event.${entry.type}`, readable(entry.type))),
        entry.actor?.name ? ` · ${t("case.by", { name: entry.actor.name })}` : "",
        details(entry, entry.type, record, skip).map(([name, value]) =>
          el("span", { class: "detail" }, ` · ${t("detail.pair", { name, value })}`),
        ),
      ),
    ),
  );
}

function evidenceList(record) {
  if (!record.evidence?.length) return el("p", {}, t("case.evidence.none"));
  return el(
    "ul",
    { class: "evidence" },
    record.evidence.map((file) => {
      const slot = el("div", {});
      const button = el(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: async () => {
            const answer = await call("GET", `/v1/staff/cases/${encodeURIComponent(record.id)}/evidence/${file.n}`);
            if (answer.status !== 200) {
              slot.replaceChildren(problem(answer));
              return;
            }
            const link = el("a", { href: answer.body.url, target: "_blank", rel: "noopener noreferrer" }, t("case.evidence.open", { name: file.filename }));
            slot.replaceChildren(el("p", {}, t("case.evidence.ready", { at: formatDateTime(answer.body.expires_at) }), " ", link));
            window.open(answer.body.url, "_blank", "noopener,noreferrer");
            link.focus();
          },
        },
        t("case.evidence.download", { name: file.filename }),
      );
      return el("li", {}, `${file.filename} · ${file.content_type} · ${Math.ceil(file.size / 1024)} KB `, button, slot);
    }),
  );
}

function caseSections(record, onDone) {
  const c = (key) => t(`case.${key}`);
  const identity = [];
  if (record.identity_withheld) identity.push(el("p", { class: "notice", id: "identity-withheld" }, c("identity-withheld")));
  else if (record.anonymous || !record.complainant) identity.push(el("p", { class: "notice", id: "identity-withheld" }, c("anonymous")));
  else {
    identity.push(
      definitionList([
        [c("name"), record.complainant.name],
        [c("phone"), record.complainant.phone],
        [c("email"), record.complainant.email],
        [c("address"), record.complainant.address],
      ]),
    );
  }
  const product = record.product
    ? details(record.product, "product", record).map(([name, value]) => t("detail.pair", { name, value })).join(t("detail.sep"))
    : null;
  const other = [];
  for (const [field, title] of [["paused", "paused-info"], ["mediation", "mediation-info"], ["pending_extension", "pending_extension"], ["response", "response"]]) {
    if (record[field]) other.push(el("h3", {}, c(title)), definitionList(details(record[field], field, record)));
  }
  const actions = record.actions.length
    ? el("div", { class: "actions" }, record.actions.map((action) => actionForm(record, action, onDone)))
    : el("p", {}, c("actions.none"));

  return [
    el(
      "section",
      { "aria-labelledby": "s-summary" },
      el("h2", { id: "s-summary" }, c("summary")),
      record.incomplete?.length ? el("p", { class: "notice" }, t("case.incomplete", { fields: detailValue("missing", record.incomplete, {}, record) })) : null,
      definitionList([
        [c("tracking_code"), record.tracking_code],
        [c("kind"), label("kind", record.kind)],
        [c("channel"), label("channel", record.channel)],
        [c("status"), label("status", record.status)],
        [c("step"), t(`step.${record.step}`)],
        [c("received_at"), formatDateTime(record.received_at)],
        [c("category"), record.category],
        [c("severity"), record.severity ? t(`severity.${record.severity}`) : null],
        [c("unit"), record.unit],
        [c("handler"), record.handler ? `${record.handler.name ?? ""} (${record.handler.id})` : null],
        [c("first_responder"), record.first_responder ? `${record.first_responder.name ?? ""} (${record.first_responder.id ?? ""})` : null],
        [c("policy"), record.policy ? textOr(`policy.${record.policy}`, record.policy) : null],
        [c("version"), String(record.version)],
        [c("linked"), record.linked_case_ids?.length ? record.linked_case_ids.join("、") : null],
      ]),
    ),
    el("section", { "aria-labelledby": "s-complainant" }, el("h2", { id: "s-complainant" }, c("complainant")), identity),
    el(
      "section",
      { "aria-labelledby": "s-content" },
      el("h2", { id: "s-content" }, c("content")),
      record.text_redacted ? el("p", { class: "hint" }, c("redacted")) : null,
      definitionList([
        [c("respondent"), record.respondent ? Object.values(record.respondent).filter(Boolean).join("，") : null],
        [c("facts"), record.facts],
        [c("request"), record.request],
        [c("suspected_violation"), record.suspected_violation],
        [c("occurred_at"), record.occurred_at],
        [c("place"), record.place],
        [c("product"), product],
        [c("amount"), record.amount],
      ]),
    ),
    el(
      "section",
      { "aria-labelledby": "s-deadlines" },
      el("h2", { id: "s-deadlines" }, c("deadlines")),
      Object.keys(record.deadlines ?? {}).length
        ? el(
            "table",
            { class: "deadlines" },
            el("thead", {}, el("tr", {}, ["clock", "due", "length", "state"].map((k) => el("th", { scope: "col" }, c(k))))),
            el("tbody", {}, deadlineRows(record.deadlines)),
          )
        : el("p", {}, t("none")),
    ),
    other.length ? el("section", { "aria-labelledby": "s-other" }, el("h2", { id: "s-other" }, c("other")), other) : null,
    el("section", { "aria-labelledby": "s-actions" }, el("h2", { id: "s-actions" }, c("actions")), actions),
    el("section", { "aria-labelledby": "s-evidence" }, el("h2", { id: "s-evidence" }, c("evidence")), evidenceList(record)),
    el("section", { "aria-labelledby": "s-timeline" }, el("h2", { id: "s-timeline" }, c("timeline")), timelineList(record.timeline ?? [], record)),
  ];
}

async function viewCase(count, id) {
  const title = heading(t("case.title", { code: "" }));
  const back = el("p", {}, el("a", { href: "#queue" }, t("case.back")));
  show(title, back, el("p", {}, t("loading")));

  function draw(record, done) {
    title.textContent = t("case.title", { code: record.tracking_code });
    const status = done ? el("p", { class: "ok", role: "status", id: "action-done" }, t("case.done", { action: t(`action.${done}`) })) : null;
    show(title, back, status, ...caseSections(record, onDone));
  }

  async function load() {
    const answer = await call("GET", `/v1/staff/cases/${encodeURIComponent(id)}`);
    if (count !== renderCount) return;
    if (answer.status !== 200) {
      show(title, back, problem(answer, load));
      return;
    }
    draw(answer.body, null);
  }

  /** After an action: the case it answered with; null asks to load the case again (a conflict). */
  function onDone(record, action) {
    if (count !== renderCount) return;
    queue.loaded = false;
    if (record) draw(record, action);
    else load();
  }

  await load();
}

// ---- supervision -------------------------------------------------------------------------------

async function loadAll(path, pages = 5) {
  let items = [];
  let cursor = null;
  for (let page = 0; page < pages; page += 1) {
    const answer = await call("GET", `${path}${cursor ? `${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (answer.status !== 200) return { answer };
    items = items.concat(answer.body.items);
    cursor = answer.body.next_cursor;
    if (!cursor) break;
  }
  return { items };
}

function groups(items, key, heading2, id) {
  const grouped = new Map();
  for (const item of items) {
    const name = item[key] || t("supervision.unassigned");
    if (!grouped.has(name)) grouped.set(name, []);
    grouped.get(name).push(item);
  }
  return el(
    "div",
    { class: "group", id },
    el("h3", {}, heading2),
    grouped.size
      ? el(
          "ul",
          {},
          [...grouped].map(([name, list]) =>
            el(
              "li",
              {},
              el("strong", {}, `${name}：${t("supervision.count", { n: list.length })}`),
              el(
                "ul",
                {},
                list.map((item) =>
                  el(
                    "li",
                    { class: item.overdue ? "overdue" : null },
                    el("a", { href: `#case/${item.id}` }, item.tracking_code),
                    ` · ${label("status", item.status)} · ${item.next_due_at ? formatDate(item.next_due_at) : "—"}`,
                    item.overdue ? el("strong", { class: "marker" }, ` ⚠ ${t("queue.overdue-marker")}`) : null,
                  ),
                ),
              ),
            ),
          ),
        )
      : el("p", {}, t("supervision.none")),
  );
}

async function viewSupervision(count) {
  const title = heading(t("supervision.title"));
  if (!hasRole("supervisor", "admin")) {
    show(title, el("p", { class: "notice" }, t("supervision.only")));
    return;
  }
  show(title, el("p", {}, t("loading")));
  const [overdue, all, letters] = await Promise.all([
    loadAll("/v1/staff/cases?overdue=true&limit=100"),
    loadAll("/v1/staff/cases?limit=100", 2),
    call("GET", "/v1/staff/outbox/dead-letters"),
  ]);
  if (count !== renderCount) return;
  if (overdue.answer || all.answer) {
    show(title, problem(overdue.answer ?? all.answer, render));
    return;
  }
  const now = Date.now();
  const soon = all.items.filter(
    (item) => !item.overdue && item.next_due_at && new Date(item.next_due_at).getTime() - now < SOON_MS,
  );

  // escalations (督办) of clocks still running, as the queue lists them: no case is read (nor its reading audited)
  const escalations = [...new Map([...overdue.items, ...all.items].map((item) => [item.id, item])).values()]
    .filter((item) => item.escalated_at)
    .sort((a, b) => (a.escalated_at < b.escalated_at ? 1 : -1))
    .slice(0, 20);

  const deadLetters =
    letters.status === 200
      ? letters.body.items.length
        ? el(
            "ul",
            {},
            letters.body.items.map((item) =>
              el("li", {}, t("supervision.dead-letter", { audience: item.audience, attempts: item.attempts, error: item.error })),
            ),
          )
        : el("p", {}, t("supervision.dead-letters.none"))
      : problem(letters, render);

  show(
    title,
    el(
      "section",
      { "aria-labelledby": "s-overdue", id: "overdue" },
      el("h2", { id: "s-overdue" }, `${t("supervision.overdue")}（${overdue.items.length}）`),
      groups(overdue.items, "unit", t("supervision.by-unit"), "overdue-by-unit"),
      groups(overdue.items, "handler", t("supervision.by-handler"), "overdue-by-handler"),
    ),
    el(
      "section",
      { "aria-labelledby": "s-soon", id: "soon" },
      el("h2", { id: "s-soon" }, `${t("supervision.soon")}（${soon.length}）`),
      groups(soon, "unit", t("supervision.by-unit"), "soon-by-unit"),
      groups(soon, "handler", t("supervision.by-handler"), "soon-by-handler"),
    ),
    el(
      "section",
      { "aria-labelledby": "s-escalations", id: "escalations" },
      el("h2", { id: "s-escalations" }, t("supervision.escalations")),
      escalations.length
        ? el(
            "ul",
            {},
            escalations.map((item) =>
              el(
                "li",
                {},
                el("a", { href: `#case/${item.id}` }, item.tracking_code),
                ` · ${t(`clock.${item.escalated_clock}`)} · ${formatDateTime(item.escalated_at)}`,
              ),
            ),
          )
        : el("p", {}, t("supervision.escalations.none")),
    ),
    el(
      "section",
      { "aria-labelledby": "s-letters", id: "dead-letters" },
      el("h2", { id: "s-letters" }, t("supervision.dead-letters")),
      deadLetters,
    ),
  );
}

// ---- the calendar ------------------------------------------------------------------------------

async function viewCalendar(count, yearText) {
  const year = /^\d{4}$/.test(yearText ?? "") ? Number(yearText) : new Date().getFullYear();
  const title = heading(`${t("calendar.title")} ${year}`);
  const yearInput = el("input", { id: "calendar-year", name: "year", type: "number", min: "2000", max: "2100", value: String(year) });
  const pick = el(
    "form",
    {
      class: "inline",
      onsubmit: (event) => {
        event.preventDefault();
        go(`#calendar/${yearInput.value}`);
      },
    },
    el("label", { for: "calendar-year" }, t("calendar.year")),
    yearInput,
    el("button", { type: "submit", class: "secondary" }, t("calendar.load")),
  );
  show(title, pick, el("p", {}, t("loading")));
  const answer = await call("GET", `/v1/staff/calendar/${year}`);
  if (count !== renderCount) return;
  if (answer.status !== 200) {
    show(title, pick, problem(answer, render));
    return;
  }
  const admin = hasRole("admin");
  const message = el("div", { id: "calendar-message" });
  const holidays = el("textarea", { id: "holidays", name: "holidays", rows: "10", readonly: !admin });
  const workdays = el("textarea", { id: "workdays", name: "adjusted_workdays", rows: "5", readonly: !admin });
  const source = el("input", { id: "source", name: "source", readonly: !admin });
  const state = el("p", { id: "calendar-state", class: "notice" });

  function fill(data) {
    holidays.value = data.holidays.join("\n");
    workdays.value = data.adjusted_workdays.join("\n");
    source.value = data.source ?? "";
    state.textContent = `${data.official ? t("calendar.official") : t("calendar.unofficial")} ${t("calendar.counts", {
      holidays: data.holidays.length,
      workdays: data.adjusted_workdays.length,
    })}`;
  }
  fill(answer.body);

  const dates = (text) => text.split(/[\s,，、]+/).map((d) => d.trim()).filter(Boolean);
  const form = el(
    "form",
    {
      id: "calendar",
      onsubmit: async (event) => {
        event.preventDefault();
        const body = { holidays: dates(holidays.value), adjusted_workdays: dates(workdays.value) };
        const bad = [...body.holidays, ...body.adjusted_workdays].find((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d));
        if (bad) {
          message.replaceChildren(el("p", { class: "error", role: "alert" }, t("calendar.bad-date", { value: bad })));
          return;
        }
        if (source.value.trim()) body.source = source.value.trim();
        const saved = await call("PUT", `/v1/staff/calendar/${year}`, body);
        if (count !== renderCount) return;
        if (saved.status !== 200) {
          message.replaceChildren(problem(saved));
          return;
        }
        fill(saved.body);
        message.replaceChildren(el("p", { class: "ok", role: "status" }, t("calendar.saved", { year })));
      },
    },
    el("label", { for: "holidays" }, t("calendar.holidays")),
    holidays,
    el("label", { for: "workdays" }, t("calendar.workdays")),
    workdays,
    el("label", { for: "source" }, t("calendar.source")),
    source,
    admin ? el("button", { type: "submit" }, t("calendar.save")) : el("p", { class: "hint" }, t("calendar.read-only")),
    message,
  );
  show(title, pick, state, form);
}

// ---- routing -----------------------------------------------------------------------------------

async function render(notice) {
  renderCount += 1;
  const count = renderCount;
  const [view, ...rest] = location.hash.replace(/^#/, "").split("/");
  const arg = rest.map(decodeURIComponent).join("/");
  renderWho();
  if (!session || view === "sign-in") {
    if (session && view === "sign-in") {
      go("#queue");
      return;
    }
    await viewSignIn(count, typeof notice === "string" ? notice : view && view !== "sign-in" ? t("sign-in.required") : null);
    return;
  }
  if (view === "case" && arg) await viewCase(count, arg);
  else if (view === "supervision") await viewSupervision(count);
  else if (view === "calendar") await viewCalendar(count, arg);
  else await viewQueue(count);
}

async function start() {
  renderFrame();
  const failed = await finishCognito();
  window.addEventListener("hashchange", () => render());
  if (failed) await render(t("sign-in.cognito.failed", { reason: textOr(`sign-in.reason.${failed}`, failed) }));
  else await render();
}

start();
