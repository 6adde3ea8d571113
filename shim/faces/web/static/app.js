// token-shim pages: send generated forms as JSON to the v3 API, with Rancher's CSRF header.
"use strict";

function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("CSRF="));
  return found ? decodeURIComponent(found.slice(5)) : "";
}

async function send(method, url, body) {
  const headers = { "Accept": "application/json", "X-API-CSRF": csrfToken() };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  return { ok: response.ok, status: response.status, data };
}

function message(answer) {
  const d = answer.data;
  if (d && typeof d === "object" && d.message) return answer.status + " " + (d.code || "") + ": " + d.message;
  return "HTTP " + answer.status;
}

function readForm(form) {
  const body = {};
  const omitEmpty = form.dataset.omitEmpty !== undefined;
  for (const el of form.querySelectorAll("[data-kind]")) {
    const kind = el.dataset.kind;
    const raw = el.value;
    if (raw === "" && (omitEmpty || !["string", "password"].includes(kind))) continue;
    if (kind === "boolean") body[el.name] = raw === "true";
    else if (kind === "int") body[el.name] = parseInt(raw, 10);
    else if (kind === "float") body[el.name] = Number(raw);
    else if (kind === "json") body[el.name] = JSON.parse(raw);
    else body[el.name] = raw;
  }
  return body;
}

function showError(form, text) {
  const box = form.querySelector(".error");
  if (box) { box.textContent = text; box.hidden = false; box.focus && box.focus(); }
}

function showResult(data) {
  const out = document.getElementById("result");
  if (out) out.textContent = JSON.stringify(data, null, 2);
}

function showKey(data) {
  const panel = document.getElementById("new-key");
  if (!panel || !data || !data.token) return false;
  const [access, secret] = data.token.split(":");
  panel.querySelector("[data-field=access]").value = access;
  panel.querySelector("[data-field=secret]").value = secret;
  panel.querySelector("[data-field=bearer]").value = data.token;
  panel.hidden = false;
  panel.querySelector("h2").focus();
  return true;
}

async function submitForm(event) {
  event.preventDefault();
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  let body;
  try { body = readForm(form); } catch (e) { showError(form, "Not valid JSON: " + e.message); return; }
  const answer = await send(form.dataset.method, form.dataset.url, body);
  if (!answer.ok) { showError(form, message(answer)); return; }
  const after = form.dataset.after;
  if (after === "reload") window.location.reload();
  else if (after === "login") window.location.assign("/dashboard/login");
  else if (after === "key") { if (!showKey(answer.data)) showResult(answer.data); form.reset(); }
  else if (after && after.startsWith("/")) window.location.assign(after);
  else showResult(answer.data);
}

async function deleteOne(button) {
  const what = button.dataset.what || "this object";
  if (!window.confirm("Delete " + what + "? This cannot be undone.")) return;
  const answer = await send("DELETE", button.dataset.delete);
  if (!answer.ok) { showResult(answer.data); window.alert(message(answer)); return; }
  window.location.assign(button.dataset.up || window.location.pathname);
}

async function deleteSelected(button) {
  const picked = [...document.querySelectorAll("input[data-select]:checked")];
  if (!picked.length) { window.alert("Select at least one key."); return; }
  if (!window.confirm("Delete " + picked.length + " key(s)? This cannot be undone.")) return;
  for (const box of picked) {
    const answer = await send("DELETE", box.dataset.select);
    if (!answer.ok) { window.alert(message(answer)); break; }
  }
  window.location.reload();
}

async function logout() {
  await send("POST", "/v3/tokens?action=logout", {});
  window.location.assign("/dashboard/login");
}

async function download(button) {
  const answer = await send("POST", button.dataset.kubeconfig, {});
  if (!answer.ok) { window.alert(message(answer)); return; }
  const blob = new Blob([answer.data.config], { type: "application/yaml" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = button.dataset.filename || "kubeconfig.yaml";
  document.body.appendChild(link);
  link.click();
  link.remove();
}

function copy(button) {
  const field = document.getElementById(button.dataset.copy);
  navigator.clipboard.writeText(field.value).then(() => { button.textContent = "Copied"; });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form.api")) form.addEventListener("submit", submitForm);
  for (const form of document.querySelectorAll("form.filter")) {
    form.addEventListener("submit", () => {  // blank filters are not sent
      for (const input of form.querySelectorAll("input")) if (input.value === "") input.disabled = true;
    });
  }
  document.addEventListener("click", (event) => {
    const el = event.target.closest("button");
    if (!el) return;
    if (el.dataset.delete) deleteOne(el);
    else if (el.dataset.deleteSelected !== undefined) deleteSelected(el);
    else if (el.dataset.logout !== undefined) logout();
    else if (el.dataset.kubeconfig) download(el);
    else if (el.dataset.copy) copy(el);
  });
});
