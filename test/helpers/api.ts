/** A small client of the REST API that sends parameters the ways real clients do. */
export type Encoding = 'query' | 'form' | 'multipart' | 'json';
export type Params = Record<string, string | number | undefined>;

export interface Answer {
  httpStatus: number;
  body: Record<string, any>;
}

export function client(baseUrl: string) {
  async function request(method: string, path: string, params: Params = {}, encoding: Encoding = 'query'): Promise<Answer> {
    const url = new URL(path, baseUrl);
    const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
    let body: string | URLSearchParams | FormData | undefined;
    const headers: Record<string, string> = {};
    if (encoding === 'query') {
      for (const [name, value] of entries) url.searchParams.append(name, String(value));
    } else if (encoding === 'form') {
      body = new URLSearchParams(entries.map(([name, value]): [string, string] => [name, String(value)]));
    } else if (encoding === 'multipart') {
      const form = new FormData();
      for (const [name, value] of entries) form.append(name, String(value));
      body = form;
    } else {
      body = JSON.stringify(Object.fromEntries(entries));
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(url, { method, body, headers });
    const text = await response.text();
    let parsed: Record<string, any>;
    try {
      parsed = JSON.parse(text) as Record<string, any>;
    } catch {
      throw new Error(`${method} ${path} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    return { httpStatus: response.status, body: parsed };
  }

  /** A multipart POST with text fields and one file, as the app publishes. */
  async function upload(path: string, fields: Params, file?: { field?: string; bytes: Uint8Array; filename?: string; type?: string }): Promise<Answer> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, String(value));
    if (file) form.append(file.field ?? 'data', new Blob([file.bytes], { type: file.type ?? 'video/mp4' }), file.filename ?? 'clip.mp4');
    const response = await fetch(new URL(path, baseUrl), { method: 'POST', body: form });
    return { httpStatus: response.status, body: (await response.json()) as Record<string, any> };
  }

  return {
    request,
    upload,
    get: (path: string, params?: Params, encoding?: Encoding) => request('GET', path, params, encoding),
    post: (path: string, params?: Params, encoding?: Encoding) => request('POST', path, params, encoding),
    /** Publishes a clip and returns the new video's id. */
    async publish(token: string, title: string, bytes: Uint8Array): Promise<number> {
      const { body } = await upload('/douyin/publish/action/', { token, title }, { bytes });
      if (body.status_code !== 0) throw new Error(`publish failed: ${JSON.stringify(body)}`);
      const list = await request('GET', '/douyin/publish/list/', { token, limit: 1 });
      return list.body.video_list[0].id as number;
    },
    /** Registers a fresh user and returns its id and token. */
    async newUser(prefix = 'user'): Promise<{ id: number; token: string; username: string }> {
      const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
      const { body } = await request('POST', '/douyin/user/register/', { username, password: 'correct-horse' });
      if (body.status_code !== 0) throw new Error(`register failed: ${JSON.stringify(body)}`);
      return { id: body.user_id, token: body.token, username };
    },
  };
}

export type Client = ReturnType<typeof client>;
