// The public site: file a complaint, report, enquiry or suggestion (#file), and follow a case (#follow).
// The tracking and access codes live only in this module's memory: never in the URL, history or storage.

import { api, el, formatDate, formatDateTime, language, renderLanguages, setLanguage, translator } from "/assets/common.js";
import { TEXTS } from "/assets/public-texts.js";

const t = translator(TEXTS);
const has = (key) => key in TEXTS["zh-CN"];
const main = document.getElementById("main");

const KINDS = ["complaint", "report", "enquiry", "suggestion"];
const OPEN = ["received", "accepted", "assigned", "investigating", "mediating", "responded"];
const MAX_FILES = 10;
const MAX_BYTES = 10 * 1024 * 1024;
const TYPES = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", pdf: "application/pdf", mp3: "audio/mpeg",
  m4a: "audio/mp4", amr: "audio/amr", mp4: "video/mp4" };

/** The form's text fields: how each is asked for. The API's field paths are their names. */
const FIELDS = {
  "complainant.name": { autocomplete: "name", required: true },
  "complainant.phone": { type: "tel", autocomplete: "tel", required: true },
  "complainant.email": { type: "email", autocomplete: "email" },
  "complainant.address": { autocomplete: "street-address" },
  "respondent.name": { autocomplete: "off" },
  "respondent.address": { autocomplete: "off" },
  "respondent.region_code": { inputmode: "numeric", autocomplete: "off", maxlength: "6" },
  facts: { textarea: true, required: true },
  occurred_at: { type: "date" },
  request: { textarea: true },
};

const blankForm = () => ({ kind: "complaint", anonymous: false, ...Object.fromEntries(Object.keys(FIELDS).map((k) => [k, ""])) });

/** The filing form asks one thing at a time: each step a fieldset, with the ids of the controls it holds. */
const STEPS = [
  { title: "s1", targets: KINDS.map((kind) => `kind-${kind}`) },
  { title: "s2", targets: ["anonymous", "complainant-name", "complainant-phone", "complainant-email", "complainant-address"] },
  { title: "s3", targets: ["respondent-name", "respondent-address", "respondent-region-code"] },
  { title: "s4", targets: ["facts", "occurred-at"] },
  { title: "s5", targets: ["request"] },
  { title: "s6", targets: ["evidence"] },
];
const LAST_STEP = STEPS.length - 1;
/** The step showing a control (an error's target); -1 for none. */
const stepOf = (target) => STEPS.findIndex((step) => step.targets.includes(target));

const state = {
  view: "file",
  step: 0,
  form: blankForm(),
  files: [], // {key, name, progress, status: uploading | done | failed, uploadId, reason}
  errors: null, // [{target, key, detail}]
  problem: null, // {key, detail, retry}
  submitting: false,
  attempt: null, // {key, text}: the Idempotency-Key of the body last sent
  receipt: null, // shown once, then forgotten
  receiptAnonymous: false,
  follow: {
    tracking: "", access: "", errors: null, problem: null, notice: null, busy: false, case: null,
    confirmWithdraw: false, withdrawReason: "", satisfied: null, comment: "", appealReason: "",
  },
};
let fileSeq = 0;

// ---- helpers ------------------------------------------------------------------------------------

const idOf = (path) => (path === "kind" ? `kind-${state.form.kind}` : path.replace(/[._]/g, "-"));

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function problemOf(answer) {
  const detail = answer.body?.error?.message || null;
  if (answer.status === 0) return { key: "problem.network", detail: null };
  if (answer.status === 429) return { key: "problem.throttled", detail };
  if (answer.status === 404) return { key: "problem.notfound", detail: null };
  if (answer.status === 409) return { key: "problem.conflict", detail };
  if (answer.status >= 400 && answer.status < 500) return { key: "problem.invalid", detail };
  return { key: "problem.server", detail: null };
}

function problemBox(problem, id = "problem") {
  if (!problem) return null;
  return el(
    "div",
    { class: "notice problem", role: "alert", id, tabindex: "-1" },
    el("p", {}, t(problem.key)),
    problem.detail ? el("p", { class: "detail" }, t("errors.detail", { detail: problem.detail })) : null,
    problem.retry ? el("button", { type: "button", class: "secondary", onclick: problem.retry }, t("retry")) : null,
  );
}

function errorSummary(errors, id = "error-summary") {
  if (!errors || !errors.length) return null;
  return el(
    "div",
    { class: "error-summary", role: "alert", id, tabindex: "-1", "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title` }, t("errors.title")),
    el(
      "ul",
      {},
      errors.map((error) =>
        el(
          "li",
          {},
          error.target
            ? el("a", {
                href: `#${error.target}`,
                onclick: (event) => {
                  event.preventDefault(); // a hash here would switch views
                  const step = stepOf(error.target);
                  if (step >= 0 && step !== state.step) {
                    state.step = step;
                    render();
                  }
                  document.getElementById(error.target)?.focus();
                },
              }, t(error.key))
            : t(error.key),
        ),
      ),
    ),
  );
}

/** A labelled control with its hint and, when the last answer found a problem with it, its error. */
function control(id, label, { hint, errors, required, optionalMark, textarea, value, onInput, ...attributes }) {
  const mine = (errors || []).filter((e) => e.target === id);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = mine.length ? `${id}-error` : null;
  const input = el(textarea ? "textarea" : "input", {
    id,
    name: id,
    "aria-describedby": [hintId, errorId].filter(Boolean).join(" ") || null,
    "aria-invalid": mine.length ? "true" : null,
    "aria-required": required ? "true" : null,
    ...(textarea ? {} : { type: "text" }),
    ...attributes,
  });
  input.value = value ?? "";
  if (onInput) input.addEventListener("input", () => onInput(input.value));
  return el(
    "div",
    { class: "field", id: `${id}-field` },
    el(
      "label",
      { for: id },
      label,
      required ? el("span", { class: "mark" }, " ", t("required")) : null,
      optionalMark ? el("span", { class: "mark" }, " ", t("optional")) : null,
    ),
    hint ? el("p", { class: "hint", id: hintId }, hint) : null,
    mine.length
      ? el(
          "p",
          { class: "error", id: errorId },
          mine.flatMap((e, i) => [i ? " " : null, t(e.key), e.detail ? el("span", { class: "detail" }, ` (${e.detail})`) : null]),
        )
      : null,
    input,
  );
}

function heading(text, id = "view-title") {
  return el("h1", { id, tabindex: "-1" }, text);
}

function focusLater(id) {
  requestAnimationFrame(() => {
    const target = document.getElementById(id);
    if (target) {
      target.focus();
      target.scrollIntoView({ block: "start" });
    }
  });
}

// ---- the header: views and languages ------------------------------------------------------------

function renderChrome() {
  document.documentElement.lang = language();
  document.title = `${t(state.view === "follow" ? "follow.title" : "file.title")} · ${t("brand")}`;
  document.getElementById("brand").textContent = t("brand");
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = t("skip");
  renderLanguages(t("nav.languages"), render);
  const views = document.getElementById("views");
  if (views) {
    views.setAttribute("aria-label", t("nav.views"));
    views.replaceChildren(
      el("a", { href: "#file", "aria-current": state.view === "file" ? "page" : null }, t("nav.file")),
      el("a", { href: "#follow", "aria-current": state.view === "follow" ? "page" : null }, t("nav.follow")),
    );
  }
}


// ---- filing -------------------------------------------------------------------------------------

function fileErrors(fields) {
  const found = [];
  for (const [path, detail] of Object.entries(fields)) {
    let target = null;
    if (path === "complainant") target = state.form["complainant.name"].trim() ? "complainant.phone" : "complainant.name";
    else if (path === "respondent") target = "respondent.name";
    else if (path.startsWith("evidence")) target = "evidence";
    else if (path === "kind" || path in FIELDS) target = path;
    else if (path === "complainant.anonymous") target = "anonymous";
    const key = has(`err.${path}`) ? `err.${path}` : target && has(`err.${target}`) ? `err.${target}` : "err.other";
    found.push({ target: target ? idOf(target) : null, key, detail });
  }
  return found;
}

function submission() {
  const f = state.form;
  const v = (key) => f[key].trim();
  const body = { kind: f.kind, complainant: {}, facts: v("facts"), language: language() };
  if (f.kind === "report" && f.anonymous) body.complainant = { anonymous: true };
  else {
    body.complainant = { name: v("complainant.name"), phone: v("complainant.phone") };
    if (v("complainant.email")) body.complainant.email = v("complainant.email");
    if (v("complainant.address")) body.complainant.address = v("complainant.address");
  }
  const respondent = ["respondent.name", "respondent.address", "respondent.region_code"];
  if (["complaint", "report"].includes(f.kind) || respondent.some((k) => v(k))) {
    body.respondent = { name: v("respondent.name") };
    if (v("respondent.address")) body.respondent.address = v("respondent.address");
    if (v("respondent.region_code")) body.respondent.region_code = v("respondent.region_code");
  }
  if (v("request")) body.request = v("request");
  if (f.occurred_at) body.occurred_at = f.occurred_at;
  const evidence = state.files.filter((x) => x.status === "done").map((x) => x.uploadId);
  if (evidence.length) body.evidence = evidence;
  return body;
}

async function submit(event) {
  event?.preventDefault();
  if (state.submitting) return;
  if (state.files.some((x) => x.status === "uploading")) {
    state.problem = { key: "file.wait" };
    render();
    focusLater("problem");
    return;
  }
  const body = submission();
  const text = JSON.stringify(body);
  if (!state.attempt || state.attempt.text !== text) state.attempt = { key: newKey(), text };
  state.submitting = true;
  const button = document.getElementById("submit");
  if (button) {
    button.setAttribute("aria-disabled", "true");
    button.textContent = t("submitting");
  }
  const answer = await api("POST", "/v1/complaints", { body, headers: { "Idempotency-Key": state.attempt.key } });
  state.submitting = false;
  if (answer.status === 201 && answer.body) {
    state.receipt = answer.body;
    state.receiptAnonymous = Boolean(body.complainant.anonymous);
    state.step = 0;
    state.form = blankForm();
    state.files = [];
    state.errors = null;
    state.problem = null;
    state.attempt = null;
    render();
    focusLater("view-title");
    return;
  }
  const fields = answer.body?.error?.fields;
  if ((answer.status === 422 || answer.status === 400) && fields) {
    state.errors = fileErrors(fields);
    state.problem = null;
    const steps = state.errors.map((e) => stepOf(e.target)).filter((step) => step >= 0);
    if (steps.length) state.step = Math.min(...steps); // back to the first step to put right
    render();
    focusLater("error-summary");
    return;
  }
  state.errors = null;
  state.problem = { ...problemOf(answer), retry: answer.status === 0 || answer.status >= 500 || answer.status === 429 ? () => submit() : null };
  render();
  focusLater("problem");
}

function refusal(answer) {
  const code = answer.body?.error?.code;
  if (answer.status === 0) return "file.refused.network";
  if (code === "file_type_not_allowed") return "file.refused.type";
  if (code === "file_too_large" || answer.status === 413) return "file.refused.size";
  if (answer.status === 429) return "problem.throttled";
  return "file.refused.other";
}

function chooseFiles(input) {
  for (const file of Array.from(input.files || [])) {
    const entry = { key: ++fileSeq, name: file.name, progress: 0, status: "uploading", uploadId: null, reason: null, detail: null };
    state.files.push(entry);
    if (state.files.filter((x) => x.status !== "failed").length > MAX_FILES) fail(entry, "file.refused.count");
    else if (file.size > MAX_BYTES) fail(entry, "file.refused.size");
    else upload(entry, file);
  }
  input.value = "";
  renderFiles();
}

function fail(entry, reason, detail = null) {
  entry.status = "failed";
  entry.reason = reason;
  entry.detail = detail;
  renderFiles();
}

async function upload(entry, file) {
  const extension = (file.name.split(".").pop() || "").toLowerCase();
  const contentType = file.type || TYPES[extension] || "application/octet-stream";
  const asked = await api("POST", "/v1/uploads", { body: { filename: file.name, content_type: contentType, size: file.size } });
  if (asked.status !== 201 || !asked.body) {
    fail(entry, refusal(asked), asked.body?.error?.message || null);
    return;
  }
  const { upload_id: uploadId, url, fields } = asked.body;
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", file);
  const request = new XMLHttpRequest();
  request.open("POST", url);
  request.upload.addEventListener("progress", (event) => {
    if (!event.lengthComputable) return;
    entry.progress = Math.round((event.loaded / event.total) * 100);
    const bar = document.getElementById(`file-${entry.key}-progress`);
    if (bar) bar.value = entry.progress;
  });
  request.addEventListener("load", () => {
    if (request.status >= 200 && request.status < 300) {
      entry.status = "done";
      entry.progress = 100;
      entry.uploadId = uploadId;
      renderFiles();
    } else fail(entry, "file.refused.other");
  });
  request.addEventListener("error", () => fail(entry, "file.refused.network"));
  request.send(form);
}

function fileItem(entry) {
  const status =
    entry.status === "done" ? el("span", { class: "ok" }, t("file.done"))
    : entry.status === "failed" ? el("span", { class: "error" }, t("file.failed", { reason: t(entry.reason) }), entry.detail ? el("span", { class: "detail" }, ` (${entry.detail})`) : null)
    : el("span", {}, t("file.uploading"));
  return el(
    "li",
    { class: `file ${entry.status}` },
    el("span", { class: "file-name" }, entry.name),
    el("progress", { id: `file-${entry.key}-progress`, max: "100", value: String(entry.progress), "aria-label": entry.name }),
    status,
    el("button", {
      type: "button",
      class: "secondary small",
      onclick: () => {
        state.files = state.files.filter((x) => x !== entry);
        renderFiles();
        document.getElementById("evidence")?.focus();
      },
    }, t("file.remove", { name: entry.name })),
  );
}

function renderFiles() {
  const list = document.getElementById("files");
  if (list) list.replaceChildren(...state.files.map(fileItem));
}

/** Shows and hides what depends on the kind and on anonymity, without rebuilding the form. */
function updateForm() {
  const report = state.form.kind === "report";
  if (!report) state.form.anonymous = false;
  const anonymous = report && state.form.anonymous;
  const toggle = (id, hidden) => document.getElementById(id)?.toggleAttribute("hidden", hidden);
  toggle("anonymous-field", !report);
  toggle("identity", anonymous);
  toggle("anonymous-on", !anonymous);
  const box = document.getElementById("anonymous");
  if (box) box.checked = anonymous;
}

function kindChoice(kind) {
  const id = `kind-${kind}`;
  const error = (state.errors || []).find((e) => e.target === id);
  return el(
    "div",
    { class: "choice" },
    el("input", {
      type: "radio", id, name: "kind", value: kind, checked: state.form.kind === kind,
      "aria-describedby": `${id}-hint`,
      onchange: () => {
        state.form.kind = kind;
        updateForm();
      },
    }),
    el("label", { for: id }, t(`kind.${kind}`)),
    el("p", { class: "hint", id: `${id}-hint` }, t(`kind.${kind}.hint`)),
    error ? el("p", { class: "error" }, t(error.key)) : null,
  );
}

function textField(path) {
  const spec = FIELDS[path];
  const { textarea, required, ...attributes } = spec;
  return control(idOf(path), t(path), {
    hint: t(`${path}.hint`),
    errors: state.errors,
    required,
    textarea,
    value: state.form[path],
    onInput: (value) => {
      state.form[path] = value;
    },
    ...attributes,
  });
}

/** What a step cannot go on without (the API's own checks of form and content come on submitting). */
function missing(step) {
  const f = state.form;
  const paths = [];
  if (step === 1 && !(f.kind === "report" && f.anonymous)) paths.push("complainant.name", "complainant.phone");
  if (step === 2 && ["complaint", "report"].includes(f.kind)) paths.push("respondent.name");
  if (step === 3) paths.push("facts");
  return paths.filter((path) => !f[path].trim()).map((path) => ({ target: idOf(path), key: `err.${path}`, detail: null }));
}

function toStep(step) {
  state.step = step;
  state.problem = null;
  render();
  focusLater("step-title");
}

/** On to the next step once this one has what it needs; the problems of other steps stay listed. */
function next() {
  const found = missing(state.step);
  const others = (state.errors || []).filter((e) => stepOf(e.target) !== state.step);
  state.errors = found.length || others.length ? [...found, ...others] : null;
  if (found.length) {
    render();
    focusLater("error-summary");
    return;
  }
  toStep(state.step + 1);
}

function step(index, ...children) {
  const current = index === state.step;
  return el(
    "fieldset",
    { hidden: !current, id: `step-${index + 1}` },
    el("legend", {}, el("h2", { id: current ? "step-title" : null, tabindex: "-1" }, t(STEPS[index].title))),
    ...children,
  );
}

/** The answers so far, each part with a way back to change it: read over before sending. */
function review() {
  const f = state.form;
  const anonymous = f.kind === "report" && f.anonymous;
  const join = (...paths) => paths.map((path) => f[path].trim()).filter(Boolean).join("，");
  const rows = [
    [0, t(`kind.${f.kind}`)],
    [1, anonymous ? t("anonymous.on") : join("complainant.name", "complainant.phone", "complainant.email", "complainant.address")],
    [2, join("respondent.name", "respondent.address", "respondent.region_code")],
    [3, join("occurred_at", "facts")],
    [4, join("request")],
  ];
  return el(
    "section",
    { class: "review", "aria-labelledby": "review-title" },
    el("h3", { id: "review-title" }, t("review")),
    el(
      "dl",
      {},
      rows.map(([index, value]) =>
        el(
          "div",
          {},
          el("dt", {}, t(STEPS[index].title)),
          el("dd", {}, value || t("review.empty")),
          el("dd", {}, el("button", { type: "button", class: "secondary small", onclick: () => toStep(index), "aria-label": t("review.change.label", { part: t(STEPS[index].title) }) }, t("review.change"))),
        ),
      ),
    ),
  );
}

function fileView() {
  const errors = state.errors || [];
  const evidenceErrors = errors.filter((e) => e.target === "evidence");
  const last = state.step === LAST_STEP;
  const form = el(
    "form",
    {
      id: "file-form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault(); // Enter in a field moves on, as the visible button does
        if (last) submit();
        else next();
      },
    },
    step(0, el("div", { class: "choices", role: "radiogroup", "aria-label": t("s1") }, KINDS.map(kindChoice))),
    step(
      1,
      el("p", { class: "hint" }, t("s2.hint")),
      el(
        "div",
        { class: "field checkbox", id: "anonymous-field" },
        el("input", {
          type: "checkbox", id: "anonymous", name: "anonymous", checked: state.form.anonymous,
          "aria-describedby": "anonymous-hint",
          onchange: (event) => {
            state.form.anonymous = event.target.checked;
            updateForm();
          },
        }),
        el("label", { for: "anonymous" }, t("anonymous")),
        el("p", { class: "hint", id: "anonymous-hint" }, t("anonymous.hint")),
      ),
      el("p", { class: "notice", id: "anonymous-on" }, t("anonymous.on")),
      el("div", { id: "identity" }, ["complainant.name", "complainant.phone", "complainant.email", "complainant.address"].map(textField)),
    ),
    step(2, el("p", { class: "hint" }, t("s3.hint")), ["respondent.name", "respondent.address", "respondent.region_code"].map(textField)),
    step(3, ["facts", "occurred_at"].map(textField)),
    step(4, textField("request")),
    step(
      5,
      el(
        "div",
        { class: "field" },
        el("label", { for: "evidence" }, t("evidence"), el("span", { class: "mark" }, " ", t("optional"))),
        el("p", { class: "hint", id: "evidence-hint" }, t("evidence.hint")),
        evidenceErrors.length
          ? el("p", { class: "error", id: "evidence-error" }, evidenceErrors.flatMap((e, i) => [i ? " " : null, t(e.key), e.detail ? ` (${e.detail})` : null]))
          : null,
        el("input", {
          type: "file", id: "evidence", name: "evidence", multiple: true,
          accept: "image/jpeg,image/png,application/pdf,audio/mpeg,audio/mp4,audio/amr,video/mp4",
          "aria-describedby": evidenceErrors.length ? "evidence-hint evidence-error" : "evidence-hint",
          "aria-invalid": evidenceErrors.length ? "true" : null,
          onchange: (event) => chooseFiles(event.target),
        }),
        el("ul", { id: "files", class: "files", "aria-live": "polite" }, state.files.map(fileItem)),
      ),
      review(),
    ),
    el(
      "div",
      { class: "step-buttons" },
      last
        ? el("button", { type: "submit", id: "submit", class: "primary" }, t("submit"))
        : el("button", { type: "submit", id: "next", class: "primary" }, t("next")),
      state.step > 0 ? el("button", { type: "button", id: "back", class: "secondary", onclick: () => toStep(state.step - 1) }, t("back")) : null,
    ),
  );
  return [
    heading(t("file.title")),
    state.step === 0 ? el("p", {}, t("file.intro")) : null,
    el("p", { id: "step-progress", class: "progress" }, t("step.of", { n: state.step + 1, total: STEPS.length })),
    problemBox(state.problem),
    errorSummary(state.errors),
    form,
  ];
}

function receiptView() {
  const receipt = state.receipt;
  const deadlines = Object.entries(receipt.deadlines || {});
  const acceptance = receipt.deadlines?.acceptance;
  return [
    heading(t("done.title", { kind: t(`kind.${receipt.kind}`) })),
    el("p", {}, t("done.intro")),
    el(
      "dl",
      { class: "codes" },
      el("div", {}, el("dt", {}, t("done.tracking")), el("dd", { class: "code", id: "tracking-code" }, receipt.tracking_code)),
      el("div", {}, el("dt", {}, t("done.access")), el("dd", { class: "code", id: "access-code" }, receipt.access_code)),
    ),
    el("p", { class: "notice", id: "keep" }, t("done.keep")),
    state.receiptAnonymous ? el("p", { class: "notice" }, t("done.anonymous")) : null,
    acceptance ? el("p", { id: "acceptance", class: "due" }, t("done.acceptance", { date: formatDate(acceptance.due_date) })) : null,
    el(
      "ul",
      { class: "deadlines" },
      deadlines
        .filter(([name]) => !(acceptance && name === "acceptance"))
        .map(([name, d]) => el("li", {}, t("done.deadline", { clock: clockName(name), date: formatDate(d.due_date) }), d.estimated ? [" ", estimatedMark()] : null)),
    ),
    (receipt.linked || []).map((linked) => el("p", {}, t("done.linked", { code: linked.tracking_code }))),
    el(
      "div",
      { class: "buttons" },
      el("button", {
        type: "button", id: "go-follow",
        onclick: () => {
          state.follow = { ...state.follow, tracking: receipt.tracking_code, access: receipt.access_code, case: null, problem: null, errors: null, notice: null };
          state.receipt = null;
          location.hash = "#follow";
        },
      }, t("done.follow")),
      el("button", {
        type: "button", class: "secondary",
        onclick: () => {
          state.receipt = null;
          render();
          focusLater("view-title");
        },
      }, t("done.another")),
    ),
  ];
}

// ---- following ----------------------------------------------------------------------------------

function clockName(name) {
  return has(`clock.${name}`) ? t(`clock.${name}`) : name;
}

function estimatedMark() {
  return el("span", { class: "tag estimated", title: t("case.estimated.hint") }, t("case.estimated"));
}

function access() {
  return { "X-Access-Code": state.follow.access.trim() };
}

function casePath(suffix = "") {
  return `/v1/complaints/${encodeURIComponent(state.follow.tracking.trim())}${suffix}`;
}

async function lookUp(event) {
  event?.preventDefault();
  const f = state.follow;
  if (f.busy) return;
  const errors = [];
  if (!f.tracking.trim()) errors.push({ target: "follow-tracking", key: "err.tracking" });
  if (!f.access.trim()) errors.push({ target: "follow-access", key: "err.access" });
  f.notice = null;
  if (errors.length) {
    f.errors = errors;
    f.problem = null;
    render();
    focusLater("follow-errors");
    return;
  }
  f.errors = null;
  f.busy = true;
  const button = document.getElementById("follow-submit");
  if (button) button.textContent = t("follow.loading");
  const answer = await api("GET", casePath(), { headers: access() });
  f.busy = false;
  f.confirmWithdraw = false;
  if (answer.status === 200 && answer.body) {
    f.case = answer.body;
    f.problem = null;
    render();
    focusLater("case-title");
  } else {
    f.case = null;
    followFailed(answer, answer.status === 0 || answer.status >= 500 ? () => lookUp() : null);
  }
}

/** A follow request failed: say why and what to do next (`retry`, when trying again may help). */
function followFailed(answer, retry = null) {
  state.follow.problem = { ...problemOf(answer), retry };
  render();
  focusLater("problem");
}

async function newAccessCode() {
  const f = state.follow;
  f.notice = null;
  if (!f.tracking.trim()) {
    f.errors = [{ target: "follow-tracking", key: "err.tracking" }];
    render();
    focusLater("follow-errors");
    return;
  }
  f.errors = null;
  const answer = await api("POST", casePath("/access-code"));
  if (answer.status === 202) {
    f.problem = null;
    f.notice = "follow.lost.sent";
    f.access = "";
    f.case = null;
    render();
    focusLater("lost-notice");
  } else followFailed(answer);
}

/** A complainant's action on the case: withdraw, feedback, appeal; the case as it is afterwards. */
async function act(action, body, done) {
  const f = state.follow;
  const answer = await api("POST", casePath(`/${action}`), { body, headers: access() });
  f.confirmWithdraw = false;
  if (answer.status === 200 && answer.body) {
    f.case = answer.body;
    f.problem = null;
    f.errors = null;
    f.notice = done;
    f.comment = "";
    f.appealReason = "";
    f.withdrawReason = "";
    f.satisfied = null;
    render();
    focusLater("case-notice");
  } else followFailed(answer);
}

function feedbackForm() {
  const f = state.follow;
  const errors = f.errors || [];
  const choiceError = errors.find((e) => e.target === "satisfied-yes");
  const radio = (id, value, label) =>
    el(
      "div",
      { class: "choice" },
      el("input", {
        type: "radio", id, name: "satisfied", value: String(value), checked: f.satisfied === value,
        "aria-invalid": choiceError ? "true" : null,
        onchange: () => {
          f.satisfied = value;
        },
      }),
      el("label", { for: id }, label),
    );
  return el(
    "form",
    {
      id: "feedback-form", class: "action", novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const problems = [];
        if (f.satisfied === null) problems.push({ target: "satisfied-yes", key: "err.satisfied" });
        if (f.satisfied === false && !f.comment.trim()) problems.push({ target: "feedback-comment", key: "err.comment" });
        if (problems.length) {
          f.errors = problems;
          render();
          focusLater("follow-errors");
          return;
        }
        const body = { satisfied: f.satisfied };
        if (f.comment.trim()) body.comment = f.comment.trim();
        act("feedback", body, "feedback.done");
      },
    },
    el(
      "fieldset",
      {},
      el("legend", {}, t("feedback.title")),
      choiceError ? el("p", { class: "error", id: "satisfied-error" }, t(choiceError.key)) : null,
      radio("satisfied-yes", true, t("feedback.satisfied")),
      radio("satisfied-no", false, t("feedback.unsatisfied")),
    ),
    control("feedback-comment", t("feedback.comment"), {
      hint: t("feedback.comment.hint"), errors, textarea: true, value: f.comment,
      onInput: (value) => {
        f.comment = value;
      },
    }),
    el("button", { type: "submit" }, t("feedback.button")),
  );
}

function appealForm() {
  const f = state.follow;
  return el(
    "form",
    {
      id: "appeal-form", class: "action", novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        if (!f.appealReason.trim()) {
          f.errors = [{ target: "appeal-reason", key: "err.reason" }];
          render();
          focusLater("follow-errors");
          return;
        }
        act("appeal", { reason: f.appealReason.trim() }, "appeal.done");
      },
    },
    el("h3", {}, t("appeal.title")),
    control("appeal-reason", t("appeal.reason"), {
      hint: t("appeal.hint"), errors: f.errors, required: true, textarea: true, value: f.appealReason,
      onInput: (value) => {
        f.appealReason = value;
      },
    }),
    el("button", { type: "submit" }, t("appeal.button")),
  );
}

function withdrawPart() {
  const f = state.follow;
  if (!f.confirmWithdraw) {
    return el(
      "div",
      { class: "action" },
      el("h3", {}, t("withdraw.title")),
      el("p", { class: "hint", id: "withdraw-hint" }, t("withdraw.hint")),
      el("button", {
        type: "button", class: "secondary", id: "withdraw", "aria-describedby": "withdraw-hint",
        onclick: () => {
          f.confirmWithdraw = true;
          render();
          focusLater("withdraw-confirm");
        },
      }, t("withdraw.button")),
    );
  }
  return el(
    "div",
    { class: "action confirm", role: "group", "aria-labelledby": "withdraw-confirm" },
    el("h3", {}, t("withdraw.title")),
    el("p", { id: "withdraw-confirm", tabindex: "-1", class: "confirm-question" }, t("withdraw.confirm")),
    control("withdraw-reason", t("withdraw.reason"), {
      textarea: true, optionalMark: true, value: f.withdrawReason,
      onInput: (value) => {
        f.withdrawReason = value;
      },
    }),
    el(
      "div",
      { class: "buttons" },
      el("button", {
        type: "button", class: "danger", id: "withdraw-yes",
        onclick: () => act("withdraw", f.withdrawReason.trim() ? { reason: f.withdrawReason.trim() } : {}, "withdraw.done"),
      }, t("withdraw.yes")),
      el("button", {
        type: "button", class: "secondary", id: "withdraw-no",
        onclick: () => {
          f.confirmWithdraw = false;
          render();
          focusLater("withdraw");
        },
      }, t("withdraw.no")),
    ),
  );
}

function deadlineItem(name, d) {
  const length = has(`case.length.${d.basis}`) ? t(`case.length.${d.basis}`, { n: d.length }) : "";
  return el(
    "li",
    { class: d.overdue ? "overdue" : null },
    el("span", { class: "clock" }, clockName(name)),
    language() === "en" ? ": " : "：",
    t("case.due", { date: formatDate(d.due_date) }),
    length,
    typeof d.days_left === "number" && d.days_left >= 0
      ? [" · ", el("span", { class: "left" }, d.days_left === 0 ? t("case.left.today") : t(`case.left.${d.basis === "calendar_days" ? "calendar" : "working"}`, { n: d.days_left }))]
      : null,
    d.estimated ? [" ", estimatedMark(), el("span", { class: "hint block" }, t("case.estimated.hint"))] : null,
    d.running === false ? [" ", el("span", { class: "tag" }, t("case.clock.done"))] : null,
    d.paused ? [" ", el("span", { class: "tag" }, t("case.paused"))] : null,
    d.overdue ? [" ", el("span", { class: "tag danger" }, t("case.overdue"))] : null,
  );
}

function caseView(c) {
  const f = state.follow;
  const deadlines = Object.entries(c.deadlines || {});
  const complaint = c.kind === "complaint";
  const actions = [];
  if (complaint && c.status === "responded") actions.push(feedbackForm());
  if (complaint && c.status === "closed") actions.push(appealForm());
  if (OPEN.includes(c.status)) actions.push(withdrawPart());
  const response = c.response;
  return el(
    "section",
    { class: "case", "aria-labelledby": "case-title" },
    el("h2", { id: "case-title", tabindex: "-1" }, t("case.title", { code: c.tracking_code })),
    f.notice && f.notice !== "follow.lost.sent" ? el("p", { class: "notice ok-notice", id: "case-notice", role: "status", tabindex: "-1" }, t(f.notice)) : null,
    el(
      "dl",
      { class: "summary" },
      el("div", {}, el("dt", {}, t("case.status")), el("dd", { id: "case-status", class: "status" }, has(`status.${c.status}`) ? t(`status.${c.status}`) : c.status)),
      el("div", {}, el("dt", {}, t("case.kind")), el("dd", {}, t(`kind.${c.kind}`))),
      el("div", {}, el("dt", {}, t("case.received")), el("dd", {}, formatDate(c.received_at))),
      c.respondent ? el("div", {}, el("dt", {}, t("case.respondent")), el("dd", {}, c.respondent)) : null,
    ),
    c.linked_tracking_codes?.length ? el("p", {}, t("case.linked", { codes: c.linked_tracking_codes.join(", ") })) : null,
    deadlines.length
      ? [el("h3", {}, t("case.deadlines")), el("ul", { class: "deadlines", id: "deadlines" }, deadlines.map(([n, d]) => deadlineItem(n, d)))]
      : null,
    response
      ? el(
          "div",
          { class: "response", id: "response" },
          el("h3", {}, t("case.response")),
          el("p", {}, el("strong", {}, t("case.outcome"), language() === "en" ? ": " : "："), has(`outcome.${response.outcome}`) ? t(`outcome.${response.outcome}`) : response.outcome, " · ", formatDateTime(response.at)),
          el("p", { class: "message" }, response.message),
        )
      : null,
    el("h3", {}, t("case.timeline")),
    el(
      "ol",
      { class: "timeline", id: "timeline" },
      (c.timeline || []).map((entry) =>
        el("li", {}, el("time", { datetime: entry.at }, formatDateTime(entry.at)), " ", has(`event.${entry.type}`) ? t(`event.${entry.type}`) : entry.type),
      ),
    ),
    actions.length ? el("div", { class: "actions" }, el("h3", {}, t("case.actions")), actions) : null,
    el("button", { type: "button", class: "secondary", id: "refresh", onclick: () => lookUp() }, t("case.refresh")),
  );
}

function followView() {
  const f = state.follow;
  const form = el(
    "form",
    { id: "follow-form", novalidate: true, onsubmit: lookUp, autocomplete: "off" },
    control("follow-tracking", t("follow.tracking"), {
      hint: t("follow.tracking.hint"), errors: f.errors, required: true, value: f.tracking,
      inputmode: "numeric", autocomplete: "off", spellcheck: "false",
      onInput: (value) => {
        f.tracking = value;
      },
    }),
    control("follow-access", t("follow.access"), {
      hint: t("follow.access.hint"), errors: f.errors, required: true, value: f.access,
      type: "password", inputmode: "numeric", autocomplete: "off",
      onInput: (value) => {
        f.access = value;
      },
    }),
    el("button", { type: "submit", id: "follow-submit" }, t("follow.submit")),
  );
  return [
    heading(t("follow.title")),
    el("p", {}, t("follow.intro")),
    errorSummary(f.errors, "follow-errors"),
    problemBox(f.problem),
    form,
    f.case ? caseView(f.case) : null,
    el(
      "section",
      { class: "lost", "aria-labelledby": "lost-title" },
      el("h2", { id: "lost-title" }, t("follow.lost")),
      el("p", { class: "hint", id: "lost-hint" }, t("follow.lost.hint")),
      f.notice === "follow.lost.sent" ? el("p", { class: "notice", id: "lost-notice", role: "status", tabindex: "-1" }, t(f.notice)) : null,
      el("button", { type: "button", class: "secondary", id: "lost", "aria-describedby": "lost-hint", onclick: newAccessCode }, t("follow.lost.button")),
    ),
  ];
}

// ---- routing and rendering ----------------------------------------------------------------------

function route() {
  const hash = location.hash;
  if (hash === "#follow") state.view = "follow";
  else if (hash === "#file" || hash === "") state.view = "file";
  else return false; // #main (the skip link) and the like: stay where we are
  return true;
}

function render() {
  renderChrome();
  const parts = state.view === "follow" ? followView() : state.receipt ? receiptView() : fileView();
  main.replaceChildren(...parts.flat(Infinity).filter(Boolean));
  if (state.view === "file" && !state.receipt) updateForm();
}

window.addEventListener("hashchange", () => {
  if (!route()) return;
  if (state.view !== "file") state.receipt = null; // the access code is shown once
  render();
  focusLater("view-title");
});

setLanguage(language());
route();
render();
