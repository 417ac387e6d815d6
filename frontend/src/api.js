// The workbench's calls to its own server (same origin only).
let csrf = sessionStorage.getItem("fc-csrf") || "";

export class ApiError extends Error {
  constructor(status, body) { super(body?.message || `HTTP ${status}`); this.status = status; this.body = body; }
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const r = await fetch(`/api/v1${path}`, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

export const api = {
  get: (path) => call("GET", path),
  post: (path, body) => call("POST", path, body),
  async login(name, password) {
    const who = await call("POST", "/login", { name, password });
    csrf = who.csrf; sessionStorage.setItem("fc-csrf", csrf); sessionStorage.setItem("fc-who", JSON.stringify(who));
    return who;
  },
  async logout() {
    try { await call("POST", "/logout"); } finally { csrf = ""; sessionStorage.clear(); }
  },
  who: () => JSON.parse(sessionStorage.getItem("fc-who") || "null"),
};
