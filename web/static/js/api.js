// Calling the REST API from a page: JSON with the CSRF token, forms as bodies, refusals shown by
// the field the API names.
import { csrfToken } from "./live.js";
import { tr } from "./i18n.js";

export async function send(method, url, body) {
  const response = await fetch(url, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }, body: JSON.stringify(body) });
  let answer = {};
  try { answer = await response.json(); } catch { /* an empty or non-JSON answer keeps {} */ }
  return { ok: response.ok, answer };
}

// A form's fields as the API's JSON: empty optional fields left out, numbers as numbers.
export function formBody(form) {
  const body = {};
  for (const element of form.elements) {
    if (!element.name || element.type === "file" || element.disabled) continue;
    if (element.value === "" && !element.required) continue;
    body[element.name] = element.type === "number" ? Number(element.value) : element.value;
  }
  return body;
}

// Show the API's refusal by the form: the message, and the field at fault marked.
export function showError(form, answer) {
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const field = answer.field && form.elements.namedItem(answer.field);
  if (field && field.setAttribute) field.setAttribute("aria-invalid", "true");
  form.querySelector(".form-error").textContent = answer.message || tr("请求失败", "Request failed");
}
