// Shared by the public site and the staff console: the language, requests to the API, dates.
// Plain ES modules served by the app (no build, nothing from another origin).

export const LANGUAGES = ["zh-CN", "en"];

/** The page's language: the visitor's choice if made (kept in this browser), else Chinese. */
export function language() {
  const chosen = localStorage.getItem("lang");
  return LANGUAGES.includes(chosen) ? chosen : "zh-CN";
}

export function setLanguage(lang) {
  localStorage.setItem("lang", lang);
  document.documentElement.lang = lang;
}

/** A lookup of `texts[lang][key]` with `{name}` placeholders filled; a missing key shows itself. */
export function translator(texts) {
  return (key, vars = {}) => {
    const text = texts[language()][key] ?? texts["zh-CN"][key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
  };
}

/**
 * A request to the API. Always resolves: {status, body}; status 0 when the network failed, so a page
 * can say what to do next instead of stopping. `body` is the JSON answer (errors: {error: {code, message, fields}}).
 */
export async function api(method, path, { body, headers = {}, token } = {}) {
  const sent = { method, headers: { Accept: "application/json", ...headers } };
  if (token) sent.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    sent.headers["Content-Type"] = "application/json";
    sent.body = JSON.stringify(body);
  }
  try {
    const answer = await fetch(path, sent);
    const text = await answer.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: answer.status, body: parsed, headers: answer.headers };
  } catch {
    return { status: 0, body: null, headers: new Headers() };
  }
}

/** A date (YYYY-MM-DD or an ISO instant) as the reader writes dates, in China's time zone. */
export function formatDate(value, lang = language()) {
  if (!value) return "";
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00+08:00`) : new Date(value);
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "Asia/Shanghai" }).format(date);
}

export function formatDateTime(value, lang = language()) {
  if (!value) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" }).format(
    new Date(value),
  );
}

/** Create an element: el("p", {class: "hint"}, "text", child...). Text is always text, never HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * The 中文 / English buttons in `#languages`, the current one pressed. Made once and then only updated, so
 * the button a keyboard user just pressed keeps the focus; choosing one stores it and calls `changed()`.
 */
export function renderLanguages(label, changed) {
  const languages = document.getElementById("languages");
  languages.setAttribute("aria-label", label);
  if (!languages.childElementCount) {
    const names = { "zh-CN": "中文", en: "English" };
    for (const lang of LANGUAGES) {
      const choose = () => {
        setLanguage(lang);
        changed();
      };
      languages.append(el("button", { type: "button", lang, "data-lang": lang, onclick: choose }, names[lang]));
    }
  }
  for (const button of languages.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language()));
  }
}
