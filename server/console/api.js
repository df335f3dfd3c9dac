// The console's plumbing: the session each browser tab keeps, REST calls, and building elements.
export const $ = (selector) => document.querySelector(selector);

export const session = {
  get token() { return sessionStorage.getItem('token'); },
  get userId() { return Number(sessionStorage.getItem('userId')); },
  get name() { return sessionStorage.getItem('name'); },
  save(token, userId, name) {
    sessionStorage.setItem('token', token);
    sessionStorage.setItem('userId', String(userId));
    sessionStorage.setItem('name', name);
  },
  clear() { sessionStorage.clear(); },
};

/** Calls a REST endpoint (with the token once signed in); resolves with the body when status_code is 0, otherwise rejects with status_msg. */
export async function api(method, path, params = {}) {
  const search = new URLSearchParams({ ...params, ...(session.token ? { token: session.token } : {}) });
  const url = method === 'GET' ? `${path}?${search}` : path;
  const response = await fetch(url, method === 'GET' ? {} : { method, body: search });
  const body = await response.json();
  if (body.status_code !== 0) throw new Error(body.status_msg);
  return body;
}

export function element(tag, { dataset = {}, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children.filter((child) => child !== undefined));
  return node;
}

/** Adds a line to the Activity list. */
export function note(text) {
  $('#activity').prepend(element('li', { textContent: text }));
}
