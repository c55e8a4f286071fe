import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGrafanaDouble, type GrafanaDouble, type GrafanaDoubleOptions } from './grafana.ts';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

interface ApiResponse {
  status: number;
  // any: the assertions check the documented shapes field by field.
  body: any;
  contentType: string | null;
}

interface RequestOptions {
  json?: unknown;
  rawBody?: string;
  /** null: send no Authorization header. Default: the double's token. */
  token?: string | null;
}

async function call(
  double: GrafanaDouble,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const token = options.token === undefined ? double.token : options.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const body = options.rawBody ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(double.url + path, { method, headers, body });
  return { status: response.status, body: await response.json(), contentType: response.headers.get('content-type') };
}

const saveDashboard = (double: GrafanaDouble, body: unknown, token?: string) =>
  call(double, 'POST', '/api/dashboards/db', { json: body, token });

/** A double started before and closed after the enclosing describe block. */
function doubleForBlock(options?: GrafanaDoubleOptions): () => GrafanaDouble {
  let double: GrafanaDouble | undefined;
  beforeAll(async () => {
    double = await startGrafanaDouble(options);
  });
  afterAll(async () => {
    await double?.close();
  });
  return () => {
    if (!double) throw new Error('the Grafana double has not started');
    return double;
  };
}

let counter = 0;
/** Titles and uids unique within the file, so tests sharing a double do not meet each other. */
const unique = (prefix: string) => `${prefix}-${++counter}`;

async function createDashboard(double: GrafanaDouble, title = unique('Dash'), extra: Record<string, unknown> = {}) {
  const response = await saveDashboard(double, { dashboard: { title }, ...extra });
  expect(response.status).toBe(200);
  return response.body as { id: number; uid: string; version: number; url: string; slug: string };
}

async function createFolder(double: GrafanaDouble, body: Record<string, unknown>) {
  const response = await call(double, 'POST', '/api/folders', { json: body });
  expect(response.status).toBe(200);
  return response.body as { id: number; uid: string; title: string; version: number };
}

const GENERATED_UID = /^[a-zA-Z0-9]{9}$/;

// ---------------------------------------------------------------------------------------------------------------

describe('server', () => {
  const grafana = doubleForBlock();

  it('listens on 127.0.0.1 on a port chosen by the kernel', () => {
    expect(grafana().url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
  });

  it('answers application/json, for successes and errors alike', async () => {
    expect((await call(grafana(), 'GET', '/api/search')).contentType).toBe('application/json');
    expect((await call(grafana(), 'GET', '/api/dashboards/uid/missing')).contentType).toBe('application/json');
  });

  it('answers an unknown route, or a known path with another method, with 404 Not found', async () => {
    expect(await call(grafana(), 'GET', '/api/nothing-here')).toMatchObject({
      status: 404,
      body: { message: 'Not found' },
    });
    expect(await call(grafana(), 'PATCH', '/api/dashboards/db')).toMatchObject({
      status: 404,
      body: { message: 'Not found' },
    });
  });

  it('logs every request with method, path and status', async () => {
    const before = grafana().requests.length;
    await call(grafana(), 'GET', '/api/search?query=x');
    await call(grafana(), 'GET', '/api/dashboards/uid/absent');
    expect(grafana().requests.slice(before)).toEqual([
      { method: 'GET', path: '/api/search', status: 200 },
      { method: 'GET', path: '/api/dashboards/uid/absent', status: 404 },
    ]);
  });

  it('stops listening on close', async () => {
    const double = await startGrafanaDouble();
    await double.close();
    await expect(fetch(`${double.url}/api/health`)).rejects.toThrow();
  });
});

describe('GET /api/health', () => {
  const grafana = doubleForBlock();

  it('answers without credentials', async () => {
    const response = await call(grafana(), 'GET', '/api/health', { token: null });
    expect(response).toMatchObject({ status: 200, body: { database: 'ok', version: '11.2.0', commit: 'abc1234' } });
    expect(Object.keys(response.body).sort()).toEqual(['commit', 'database', 'version']);
  });

  it('answers 503 with "database":"failing" while the database fails, and recovers', async () => {
    grafana().setDatabaseFailing(true);
    try {
      const failing = await call(grafana(), 'GET', '/api/health', { token: null });
      expect(failing.status).toBe(503);
      expect(failing.body.database).toBe('failing');
    } finally {
      grafana().setDatabaseFailing(false);
    }
    expect((await call(grafana(), 'GET', '/api/health', { token: null })).status).toBe(200);
  });

  it('reports the configured version', async () => {
    const double = await startGrafanaDouble({ version: '10.4.3' });
    try {
      expect((await call(double, 'GET', '/api/health')).body.version).toBe('10.4.3');
    } finally {
      await double.close();
    }
  });
});

describe('authentication', () => {
  const grafana = doubleForBlock();

  it('refuses a wrong token with 401 Invalid API key', async () => {
    const response = await call(grafana(), 'GET', '/api/search', { token: 'glsa_wrong' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      extra: null,
      message: 'Invalid API key',
      messageId: 'api-key.invalid',
      statusCode: 401,
      traceID: '',
    });
  });

  it('refuses a request without credentials with 401 Unauthorized', async () => {
    const response = await call(grafana(), 'POST', '/api/dashboards/db', {
      json: { dashboard: { title: 'x' } },
      token: null,
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      extra: null,
      message: 'Unauthorized',
      messageId: 'auth.unauthorized',
      statusCode: 401,
      traceID: '',
    });
    expect(grafana().dashboards.size).toBe(0);
  });

  it('accepts the configured token and no other', async () => {
    const double = await startGrafanaDouble({ token: 'glsa_custom' });
    try {
      expect(double.token).toBe('glsa_custom');
      expect((await call(double, 'GET', '/api/search')).status).toBe(200);
      expect((await call(double, 'GET', '/api/search', { token: 'glsa_test' })).status).toBe(401);
    } finally {
      await double.close();
    }
  });
});

describe('POST /api/dashboards/db', () => {
  const grafana = doubleForBlock();

  it('accepts the smallest body and answers with the documented shape', async () => {
    const response = await saveDashboard(grafana(), { dashboard: { title: 'x' } });
    expect(response.status).toBe(200);
    const uid: string = response.body.uid;
    expect(uid).toMatch(GENERATED_UID);
    expect(response.body).toEqual({
      id: expect.any(Number),
      uid,
      url: `/d/${uid}/x`,
      status: 'success',
      version: 1,
      slug: 'x',
    });
  });

  it('derives the slug from the title: lowercased, non-alphanumerics collapsed to hyphens', async () => {
    const saved = await createDashboard(grafana(), '  Production Overview: EU/West (v2)  ');
    expect(saved.slug).toBe('production-overview-eu-west-v2');
    expect(saved.url).toBe(`/d/${saved.uid}/production-overview-eu-west-v2`);
  });

  it('stores the JSON as posted, with id, uid, version and the trimmed title set', async () => {
    const panels = [{ type: 'no-such-panel', whatever: { nested: [1, 2] } }];
    const response = await saveDashboard(grafana(), {
      dashboard: { id: null, version: 4, title: '  Stored As Posted  ', panels, schemaVersion: 39 },
    });
    expect(response.status).toBe(200);
    const { id, uid } = response.body;
    expect(grafana().dashboards.get(uid)?.json).toEqual({
      id,
      uid,
      version: 1,
      title: 'Stored As Posted',
      panels,
      schemaVersion: 39,
    });
  });

  it('keeps a posted uid', async () => {
    const uid = unique('kept_uid');
    const response = await saveDashboard(grafana(), { dashboard: { uid, title: unique('Kept') } });
    expect(response.status).toBe(200);
    expect(response.body.uid).toBe(uid);
    expect(grafana().dashboards.has(uid)).toBe(true);
  });

  it('stores the version message', async () => {
    const saved = await createDashboard(grafana(), unique('With message'), { message: 'why it changed' });
    expect(grafana().dashboards.get(saved.uid)?.message).toBe('why it changed');
  });

  describe('rule 1: version is read only with a numeric id or a string uid', () => {
    it('reads it when the dashboard has a uid and a null id', async () => {
      const saved = await createDashboard(grafana());
      const response = await saveDashboard(grafana(), {
        dashboard: { id: null, uid: saved.uid, version: 1, title: unique('T') },
      });
      expect(response).toMatchObject({ status: 200, body: { id: saved.id, version: 2 } });
    });

    it('reads it when the dashboard has a numeric id and no uid', async () => {
      const saved = await createDashboard(grafana());
      const response = await saveDashboard(grafana(), { dashboard: { id: saved.id, version: 1, title: unique('T') } });
      expect(response).toMatchObject({ status: 200, body: { id: saved.id, uid: saved.uid, version: 2 } });
    });

    it('treats null id and uid as absent: a new dashboard with a generated uid', async () => {
      const before = grafana().dashboards.size;
      const response = await saveDashboard(grafana(), {
        dashboard: { id: null, uid: null, version: 5, title: unique('T') },
      });
      expect(response.status).toBe(200);
      expect(response.body.uid).toMatch(GENERATED_UID);
      expect(response.body.version).toBe(1);
      expect(grafana().dashboards.size).toBe(before + 1);
    });
  });

  it('rule 2: an id > 0 that is not found is 404 not-found', async () => {
    const response = await saveDashboard(grafana(), { dashboard: { id: 987654, title: unique('T') } });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Dashboard not found', status: 'not-found' });
  });

  it('rule 3: an existing uid makes the save an update, even with id null', async () => {
    const saved = await createDashboard(grafana());
    const before = grafana().dashboards.size;
    const title = unique('Renamed');
    const response = await saveDashboard(grafana(), { dashboard: { id: null, uid: saved.uid, version: 1, title } });
    expect(response).toMatchObject({ status: 200, body: { id: saved.id, uid: saved.uid, version: 2 } });
    expect(grafana().dashboards.size).toBe(before);
    expect(grafana().dashboards.get(saved.uid)?.title).toBe(title);
  });

  it('rule 4: an id and a uid naming two different dashboards is 400', async () => {
    const first = await createDashboard(grafana());
    const second = await createDashboard(grafana());
    const response = await saveDashboard(grafana(), {
      dashboard: { id: first.id, uid: second.uid, version: 1, title: unique('T') },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: 'A dashboard with the same uid already exists' });
  });

  describe('rule 5: version mismatch', () => {
    const versionMismatch = { message: 'The dashboard has been changed by someone else', status: 'version-mismatch' };

    it('is 412 with a stale version and no overwrite', async () => {
      const saved = await createDashboard(grafana());
      const response = await saveDashboard(grafana(), {
        dashboard: { uid: saved.uid, version: 7, title: unique('T') },
      });
      expect(response.status).toBe(412);
      expect(response.body).toEqual(versionMismatch);
      expect(grafana().dashboards.get(saved.uid)?.version).toBe(1);
    });

    it('is 412 when re-posting an existing uid without version and without overwrite', async () => {
      const saved = await createDashboard(grafana());
      const response = await saveDashboard(grafana(), { dashboard: { uid: saved.uid, title: unique('T') } });
      expect(response.status).toBe(412);
      expect(response.body).toEqual(versionMismatch);
    });

    it('accepts a stale version with overwrite:true', async () => {
      const saved = await createDashboard(grafana());
      const response = await saveDashboard(grafana(), {
        dashboard: { uid: saved.uid, title: unique('T') },
        overwrite: true,
      });
      expect(response).toMatchObject({ status: 200, body: { uid: saved.uid, version: 2 } });
    });
  });

  it('rule 6: the saved version is 1 on insert and stored+1 on update', async () => {
    const saved = await createDashboard(grafana());
    expect(saved.version).toBe(1);
    const title = unique('T');
    const second = await saveDashboard(grafana(), { dashboard: { uid: saved.uid, version: 1, title } });
    const third = await saveDashboard(grafana(), { dashboard: { uid: saved.uid, version: 2, title } });
    expect([second.body.version, third.body.version]).toEqual([2, 3]);
    const fetched = await call(grafana(), 'GET', `/api/dashboards/uid/${saved.uid}`);
    expect([fetched.body.dashboard.version, fetched.body.meta.version]).toEqual([3, 3]);
  });

  describe('rule 7: plugin-owned dashboards', () => {
    it('are 412 plugin-dashboard without overwrite', async () => {
      const seeded = grafana().seedDashboard({
        uid: unique('plugin'),
        title: unique('Plugin'),
        pluginId: 'prometheus',
      });
      const response = await saveDashboard(grafana(), {
        dashboard: { uid: seeded.uid, version: 1, title: seeded.title },
      });
      expect(response.status).toBe(412);
      expect(response.body).toEqual({
        message: 'The dashboard belongs to plugin prometheus.',
        status: 'plugin-dashboard',
      });
    });

    it('are saved with overwrite', async () => {
      const seeded = grafana().seedDashboard({
        uid: unique('plugin'),
        title: unique('Plugin'),
        pluginId: 'prometheus',
      });
      const response = await saveDashboard(grafana(), {
        dashboard: { uid: seeded.uid, version: 1, title: seeded.title },
        overwrite: true,
      });
      expect(response).toMatchObject({ status: 200, body: { uid: seeded.uid, version: 2 } });
    });
  });

  describe('rule 8: title unique within a folder (up to 11.2)', () => {
    it('is 412 name-exists for another dashboard with the same title in the same folder', async () => {
      const title = unique('Same Title');
      await createDashboard(grafana(), title);
      const response = await saveDashboard(grafana(), { dashboard: { title } });
      expect(response.status).toBe(412);
      expect(response.body).toEqual({
        message: 'A dashboard with the same name in the folder already exists',
        status: 'name-exists',
      });
    });

    it('allows the same title in another folder', async () => {
      const title = unique('Same Title');
      await createDashboard(grafana(), title);
      const folder = await createFolder(grafana(), { title: unique('Folder') });
      const response = await saveDashboard(grafana(), { dashboard: { title }, folderUid: folder.uid });
      expect(response.status).toBe(200);
    });

    it('takes the other dashboard over with overwrite:true', async () => {
      const title = unique('Same Title');
      const original = await createDashboard(grafana(), title);
      const response = await saveDashboard(grafana(), { dashboard: { title, tags: ['new'] }, overwrite: true });
      expect(response).toMatchObject({ status: 200, body: { id: original.id, uid: original.uid, version: 2 } });
      expect([...grafana().dashboards.values()].filter((d) => d.title === title)).toHaveLength(1);
      expect(grafana().dashboards.get(original.uid)?.json.tags).toEqual(['new']);
    });

    it('is not enforced with titleUniqueness:false (11.3+)', async () => {
      const double = await startGrafanaDouble({ titleUniqueness: false });
      try {
        const first = await saveDashboard(double, { dashboard: { title: 'Twin' } });
        const second = await saveDashboard(double, { dashboard: { title: 'Twin' } });
        expect([first.status, second.status]).toEqual([200, 200]);
        expect(second.body.uid).not.toBe(first.body.uid);
      } finally {
        await double.close();
      }
    });
  });

  describe('folders', () => {
    it('puts the dashboard in folderUid', async () => {
      const folder = await createFolder(grafana(), { title: unique('Folder') });
      const saved = await createDashboard(grafana(), unique('In folder'), { folderUid: folder.uid });
      expect(grafana().dashboards.get(saved.uid)?.folderUid).toBe(folder.uid);
    });

    it('accepts the deprecated folderId', async () => {
      const folder = await createFolder(grafana(), { title: unique('Folder') });
      const saved = await createDashboard(grafana(), unique('By folder id'), { folderId: folder.id });
      expect(grafana().dashboards.get(saved.uid)?.folderUid).toBe(folder.uid);
    });

    it('lets folderUid win over folderId', async () => {
      const chosen = await createFolder(grafana(), { title: unique('Chosen') });
      const ignored = await createFolder(grafana(), { title: unique('Ignored') });
      const saved = await createDashboard(grafana(), unique('Both'), { folderUid: chosen.uid, folderId: ignored.id });
      expect(grafana().dashboards.get(saved.uid)?.folderUid).toBe(chosen.uid);
    });

    it('moves the dashboard to the root when an update omits the folder fields', async () => {
      const folder = await createFolder(grafana(), { title: unique('Folder') });
      const title = unique('Moving');
      const saved = await createDashboard(grafana(), title, { folderUid: folder.uid });
      const response = await saveDashboard(grafana(), { dashboard: { uid: saved.uid, version: 1, title } });
      expect(response.status).toBe(200);
      expect(grafana().dashboards.get(saved.uid)?.folderUid).toBeUndefined();
    });
  });

  describe('400s', () => {
    const expect400 = async (body: { json?: unknown; rawBody?: string }, expected: unknown) => {
      const before = grafana().dashboards.size;
      const response = await call(grafana(), 'POST', '/api/dashboards/db', body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual(expected);
      expect(grafana().dashboards.size).toBe(before);
    };

    it('bad JSON is "bad request data"', async () => {
      await expect400({ rawBody: '{"dashboard": {"title": ' }, { message: 'bad request data' });
    });

    it('a missing dashboard is "bad request data"', async () => {
      await expect400({ json: { folderUid: '' } }, { message: 'bad request data' });
    });

    it('a blank title is empty-name', async () => {
      await expect400(
        { json: { dashboard: { title: '   ' } } },
        { message: 'Dashboard title cannot be empty', status: 'empty-name' },
      );
    });

    it('a uid with illegal characters is refused', async () => {
      await expect400(
        { json: { dashboard: { uid: 'no spaces!', title: unique('T') } } },
        { message: 'uid contains illegal characters' },
      );
    });

    it('a uid longer than 40 characters is refused, 40 is accepted', async () => {
      await expect400(
        { json: { dashboard: { uid: 'a'.repeat(41), title: unique('T') } } },
        { message: 'uid too long, max 40 characters' },
      );
      expect((await saveDashboard(grafana(), { dashboard: { uid: 'b'.repeat(40), title: unique('T') } })).status).toBe(
        200,
      );
    });

    it('an unknown folderUid is "folder not found"', async () => {
      await expect400(
        { json: { dashboard: { title: unique('T') }, folderUid: 'no-such-folder' } },
        { message: 'folder not found' },
      );
    });

    it('a provisioned dashboard cannot be saved, not even with overwrite', async () => {
      const seeded = grafana().seedDashboard({ uid: unique('prov'), title: unique('Provisioned'), provisioned: true });
      await expect400(
        { json: { dashboard: { uid: seeded.uid, version: 1, title: seeded.title }, overwrite: true } },
        { message: 'Cannot save provisioned dashboard' },
      );
      expect(grafana().dashboards.get(seeded.uid)?.version).toBe(1);
    });

    it("a folder's uid cannot be taken by a dashboard", async () => {
      const folder = await createFolder(grafana(), { title: unique('Folder') });
      await expect400(
        { json: { dashboard: { uid: folder.uid, title: unique('T') } } },
        { message: 'Dashboard cannot be changed to a folder' },
      );
    });
  });
});

describe('403 for a Viewer token', () => {
  const grafana = doubleForBlock({ viewerToken: 'glsa_viewer' });
  const accessDenied = (action: string) => ({
    message: `You'll need additional permissions to perform this action. Permissions needed: ${action}`,
    title: 'Access denied',
  });

  it('refuses to save a dashboard', async () => {
    const response = await saveDashboard(grafana(), { dashboard: { title: 'Nope' } }, 'glsa_viewer');
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ message: 'Access denied to save dashboard' });
    expect(grafana().dashboards.size).toBe(0);
  });

  it('lets it read, without canSave', async () => {
    const seeded = grafana().seedDashboard({ uid: 'readable', title: 'Readable' });
    const response = await call(grafana(), 'GET', `/api/dashboards/uid/${seeded.uid}`, { token: 'glsa_viewer' });
    expect(response.status).toBe(200);
    expect(response.body.meta).toMatchObject({ canSave: false, canEdit: false });
  });

  it('refuses to delete a dashboard or to create or update a folder', async () => {
    grafana().seedDashboard({ uid: 'kept', title: 'Kept' });
    const folder = await createFolder(grafana(), { title: 'Viewer folder' });
    const deletion = await call(grafana(), 'DELETE', '/api/dashboards/uid/kept', { token: 'glsa_viewer' });
    const creation = await call(grafana(), 'POST', '/api/folders', { json: { title: 'New' }, token: 'glsa_viewer' });
    const update = await call(grafana(), 'PUT', `/api/folders/${folder.uid}`, {
      json: { title: 'X', version: 1 },
      token: 'glsa_viewer',
    });
    expect(deletion).toMatchObject({ status: 403, body: accessDenied('dashboards:delete') });
    expect(creation).toMatchObject({ status: 403, body: accessDenied('folders:create') });
    expect(update).toMatchObject({ status: 403, body: accessDenied('folders:write') });
    expect(grafana().dashboards.has('kept')).toBe(true);
    expect(grafana().folders.get(folder.uid)?.title).toBe('Viewer folder');
  });
});

describe('GET /api/dashboards/uid/:uid', () => {
  const grafana = doubleForBlock();

  it('answers the stored JSON and meta at the root, folderTitle "General"', async () => {
    const saved = await createDashboard(grafana(), 'Root Board');
    const response = await call(grafana(), 'GET', `/api/dashboards/uid/${saved.uid}`);
    expect(response.status).toBe(200);
    expect(response.body.dashboard).toEqual({ id: saved.id, uid: saved.uid, title: 'Root Board', version: 1 });
    expect(response.body.meta).toEqual({
      type: 'db',
      canSave: true,
      canEdit: true,
      slug: 'root-board',
      url: `/d/${saved.uid}/root-board`,
      created: expect.any(String),
      updated: expect.any(String),
      updatedBy: expect.any(String),
      createdBy: expect.any(String),
      version: 1,
      isFolder: false,
      folderId: 0,
      folderUid: '',
      folderTitle: 'General',
      folderUrl: '',
      provisioned: false,
    });
  });

  it('answers the folder fields of a dashboard in a folder, and provisioned', async () => {
    const folder = await createFolder(grafana(), { uid: 'team-folder', title: 'Team Folder' });
    grafana().seedDashboard({ uid: 'in-team', title: 'In Team', folderUid: folder.uid, provisioned: true });
    const response = await call(grafana(), 'GET', '/api/dashboards/uid/in-team');
    expect(response.body.meta).toMatchObject({
      folderId: folder.id,
      folderUid: 'team-folder',
      folderTitle: 'Team Folder',
      folderUrl: '/dashboards/f/team-folder/team-folder',
      provisioned: true,
    });
  });

  it('answers 404 for an unknown uid', async () => {
    const response = await call(grafana(), 'GET', '/api/dashboards/uid/unknown-uid');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Dashboard not found' });
  });
});

describe('DELETE /api/dashboards/uid/:uid', () => {
  const grafana = doubleForBlock();

  it('deletes and answers title, message and id', async () => {
    const saved = await createDashboard(grafana(), 'Doomed');
    const response = await call(grafana(), 'DELETE', `/api/dashboards/uid/${saved.uid}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ title: 'Doomed', message: 'Dashboard Doomed deleted', id: saved.id });
    expect((await call(grafana(), 'GET', `/api/dashboards/uid/${saved.uid}`)).status).toBe(404);
  });

  it('refuses a provisioned dashboard with 400', async () => {
    grafana().seedDashboard({ uid: 'from-disk', title: 'From disk', provisioned: true });
    const response = await call(grafana(), 'DELETE', '/api/dashboards/uid/from-disk');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: 'provisioned dashboard cannot be deleted' });
    expect(grafana().dashboards.has('from-disk')).toBe(true);
  });

  it('answers 404 for an unknown uid', async () => {
    const response = await call(grafana(), 'DELETE', '/api/dashboards/uid/never-was');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Dashboard not found' });
  });
});

describe('GET /api/search', () => {
  const grafana = doubleForBlock();
  let team: { id: number; uid: string };

  beforeAll(async () => {
    team = await createFolder(grafana(), { uid: 'l3KqBxCMz', title: 'Team' });
    await createFolder(grafana(), { uid: 'ops-folder', title: 'operations' });
    grafana().seedDashboard({
      uid: 'cIBgcSjkk',
      title: 'Production Overview',
      tags: ['prod', 'web'],
      folderUid: team.uid,
    });
    grafana().seedDashboard({ uid: 'api-lat', title: 'api latency', tags: ['prod'] });
    grafana().seedDashboard({ uid: 'beta', title: 'Beta' });
    grafana().seedDashboard({ uid: 'zeta', title: 'Zeta staging', tags: ['staging'], folderUid: team.uid });
  });

  const titles = async (query: string) => {
    const response = await call(grafana(), 'GET', `/api/search${query}`);
    expect(response.status).toBe(200);
    return (response.body as { title: string }[]).map((hit) => hit.title);
  };

  it('lists folders first, then dashboards, each by title ignoring case', async () => {
    expect(await titles('')).toEqual([
      'operations',
      'Team',
      'api latency',
      'Beta',
      'Production Overview',
      'Zeta staging',
    ]);
  });

  it('answers a dashboard in a folder with the documented item shape', async () => {
    const response = await call(grafana(), 'GET', '/api/search?dashboardUIDs=cIBgcSjkk');
    expect(response.body).toEqual([
      {
        id: expect.any(Number),
        uid: 'cIBgcSjkk',
        orgId: 1,
        title: 'Production Overview',
        uri: 'db/production-overview',
        url: '/d/cIBgcSjkk/production-overview',
        slug: '',
        type: 'dash-db',
        tags: ['prod', 'web'],
        isStarred: false,
        folderId: team.id,
        folderUid: 'l3KqBxCMz',
        folderTitle: 'Team',
        folderUrl: '/dashboards/f/l3KqBxCMz/team',
        sortMeta: 0,
      },
    ]);
  });

  it('omits the folder fields at the root', async () => {
    const [hit] = (await call(grafana(), 'GET', '/api/search?dashboardUIDs=api-lat')).body;
    expect(hit).toMatchObject({ uid: 'api-lat', type: 'dash-db', url: '/d/api-lat/api-latency' });
    expect(Object.keys(hit).filter((key) => key.startsWith('folder'))).toEqual([]);
  });

  it('answers a folder as dash-folder with its folder URL', async () => {
    const [hit] = (await call(grafana(), 'GET', '/api/search?type=dash-folder&query=team')).body;
    expect(hit).toMatchObject({ uid: 'l3KqBxCMz', type: 'dash-folder', url: '/dashboards/f/l3KqBxCMz/team', tags: [] });
  });

  it('filters by query, a case-insensitive title substring', async () => {
    expect(await titles('?query=OVERVIEW')).toEqual(['Production Overview']);
    expect(await titles('?query=aT')).toEqual(['operations', 'api latency']);
  });

  it('filters by tag, repeated tags all required', async () => {
    expect(await titles('?tag=prod')).toEqual(['api latency', 'Production Overview']);
    expect(await titles('?tag=prod&tag=web')).toEqual(['Production Overview']);
  });

  it('filters by type', async () => {
    expect(await titles('?type=dash-folder')).toEqual(['operations', 'Team']);
    expect(await titles('?type=dash-db')).toEqual(['api latency', 'Beta', 'Production Overview', 'Zeta staging']);
  });

  it('filters by repeated dashboardUIDs', async () => {
    expect(await titles('?dashboardUIDs=beta&dashboardUIDs=zeta')).toEqual(['Beta', 'Zeta staging']);
  });

  it('filters by repeated folderUIDs', async () => {
    expect(await titles('?folderUIDs=l3KqBxCMz')).toEqual(['Production Overview', 'Zeta staging']);
    expect(await titles('?folderUIDs=l3KqBxCMz&folderUIDs=ops-folder&type=dash-db')).toEqual([
      'Production Overview',
      'Zeta staging',
    ]);
  });

  it('pages with limit and page (from 1)', async () => {
    expect(await titles('?type=dash-db&limit=2')).toEqual(['api latency', 'Beta']);
    expect(await titles('?type=dash-db&limit=2&page=2')).toEqual(['Production Overview', 'Zeta staging']);
    expect(await titles('?type=dash-db&limit=2&page=3')).toEqual([]);
  });

  it('limits to 1000 by default and allows up to 5000', async () => {
    const double = await startGrafanaDouble();
    try {
      for (let i = 0; i < 1001; i++) double.seedDashboard({ uid: `bulk-${i}`, title: `Bulk ${i}` });
      expect((await call(double, 'GET', '/api/search')).body).toHaveLength(1000);
      expect((await call(double, 'GET', '/api/search?limit=5000')).body).toHaveLength(1001);
      const tooMany = await call(double, 'GET', '/api/search?limit=5001');
      expect(tooMany.status).toBe(422);
      expect(tooMany.body).toEqual({
        message: 'Limit is above maximum allowed (5000), use page parameter to access hits beyond limit',
      });
    } finally {
      await double.close();
    }
  });
});

describe('folders', () => {
  const grafana = doubleForBlock();

  it('POST creates a folder and answers the documented shape', async () => {
    const response = await call(grafana(), 'POST', '/api/folders', {
      json: { uid: 'nErXDvCkzz', title: 'Department ABC' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: expect.any(Number),
      uid: 'nErXDvCkzz',
      title: 'Department ABC',
      url: '/dashboards/f/nErXDvCkzz/department-abc',
      hasAcl: false,
      canSave: true,
      canEdit: true,
      canAdmin: true,
      createdBy: expect.any(String),
      created: expect.any(String),
      updatedBy: expect.any(String),
      updated: expect.any(String),
      version: 1,
    });
  });

  it('POST generates a uid when none is given', async () => {
    const folder = await createFolder(grafana(), { title: 'No uid' });
    expect(folder.uid).toMatch(GENERATED_UID);
    expect(grafana().folders.get(folder.uid)?.title).toBe('No uid');
  });

  it('POST without a title is 400', async () => {
    for (const json of [{ uid: 'untitled' }, { title: '  ' }]) {
      const response = await call(grafana(), 'POST', '/api/folders', { json });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ message: 'folder title cannot be empty' });
    }
    expect(grafana().folders.has('untitled')).toBe(false);
  });

  it('POST with a uid already used by a folder or a dashboard is 409', async () => {
    await createFolder(grafana(), { uid: 'taken', title: 'Taken' });
    grafana().seedDashboard({ uid: 'dash-taken', title: 'Dash' });
    for (const uid of ['taken', 'dash-taken']) {
      const response = await call(grafana(), 'POST', '/api/folders', { json: { uid, title: 'Again' } });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ message: 'a folder/dashboard with the same uid already exists' });
    }
    expect(grafana().folders.get('taken')?.title).toBe('Taken');
  });

  it('GET /api/folders/:uid answers the folder', async () => {
    const created = await call(grafana(), 'POST', '/api/folders', { json: { uid: 'fetch-me', title: 'Fetch me' } });
    const response = await call(grafana(), 'GET', '/api/folders/fetch-me');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created.body);
  });

  it('GET /api/folders/:uid answers 404 not-found for an unknown uid', async () => {
    const response = await call(grafana(), 'GET', '/api/folders/nope');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'folder not found', status: 'not-found' });
  });

  it('GET /api/folders lists the top-level folders as id, uid, title; parentUid lists its children', async () => {
    const double = await startGrafanaDouble();
    try {
      const parent = await createFolder(double, { uid: 'parent', title: 'Parent' });
      const other = await createFolder(double, { uid: 'another', title: 'another' });
      const child = await createFolder(double, { uid: 'child', title: 'Child', parentUid: 'parent' });
      expect((await call(double, 'GET', '/api/folders')).body).toEqual([
        { id: other.id, uid: 'another', title: 'another' },
        { id: parent.id, uid: 'parent', title: 'Parent' },
      ]);
      expect((await call(double, 'GET', '/api/folders?parentUid=parent')).body).toEqual([
        { id: child.id, uid: 'child', title: 'Child', parentUid: 'parent' },
      ]);
    } finally {
      await double.close();
    }
  });

  it('POST with an unknown parentUid is 404 not-found', async () => {
    const response = await call(grafana(), 'POST', '/api/folders', {
      json: { uid: 'orphan', title: 'Orphan', parentUid: 'nowhere' },
    });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'folder not found', status: 'not-found' });
    expect(grafana().folders.has('orphan')).toBe(false);
  });

  it('PUT with the current version updates the title and bumps the version', async () => {
    await createFolder(grafana(), { uid: 'renamed', title: 'Old name' });
    const response = await call(grafana(), 'PUT', '/api/folders/renamed', { json: { title: 'New name', version: 1 } });
    expect(response).toMatchObject({
      status: 200,
      body: { uid: 'renamed', title: 'New name', version: 2, url: '/dashboards/f/renamed/new-name' },
    });
    expect(grafana().folders.get('renamed')).toMatchObject({ title: 'New name', version: 2 });
  });

  it('PUT with a stale version is 412 version-mismatch, unless overwrite', async () => {
    await createFolder(grafana(), { uid: 'contended', title: 'Contended' });
    const stale = await call(grafana(), 'PUT', '/api/folders/contended', { json: { title: 'Mine', version: 5 } });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({ message: 'the folder has been changed by someone else', status: 'version-mismatch' });
    expect(grafana().folders.get('contended')?.title).toBe('Contended');
    const forced = await call(grafana(), 'PUT', '/api/folders/contended', {
      json: { title: 'Mine', version: 5, overwrite: true },
    });
    expect(forced).toMatchObject({ status: 200, body: { title: 'Mine', version: 2 } });
  });

  it('PUT to an unknown uid is 404 not-found', async () => {
    const response = await call(grafana(), 'PUT', '/api/folders/ghost', { json: { title: 'Ghost', version: 1 } });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'folder not found', status: 'not-found' });
  });
});

describe('test controls', () => {
  const grafana = doubleForBlock();

  it('failNext answers the next matching request with the injected failure, once, leaving state alone', async () => {
    grafana().failNext('post', '/api/dashboards', 500, { message: 'boom' });
    const failed = await saveDashboard(grafana(), { dashboard: { title: 'Injected' } });
    expect(failed).toMatchObject({ status: 500, body: { message: 'boom' } });
    expect(grafana().dashboards.size).toBe(0);
    expect((await saveDashboard(grafana(), { dashboard: { title: 'Injected' } })).status).toBe(200);
  });

  it('failNext leaves other methods and paths alone', async () => {
    grafana().failNext('DELETE', '/api/dashboards/uid/', 503);
    expect((await call(grafana(), 'GET', '/api/search')).status).toBe(200);
    expect((await saveDashboard(grafana(), { dashboard: { title: unique('Untouched') } })).status).toBe(200);
    const injected = await call(grafana(), 'DELETE', '/api/dashboards/uid/whatever');
    expect(injected).toMatchObject({ status: 503, body: { message: 'injected failure' } });
  });

  it('seedDashboard stores a dashboard visible through the API', async () => {
    const seeded = grafana().seedDashboard({ uid: 'seeded', title: 'Seeded', tags: ['seed'], json: { panels: [] } });
    expect(seeded).toMatchObject({ uid: 'seeded', title: 'Seeded', version: 1, id: expect.any(Number) });
    const response = await call(grafana(), 'GET', '/api/dashboards/uid/seeded');
    expect(response.body.dashboard).toEqual({
      id: seeded.id,
      uid: 'seeded',
      title: 'Seeded',
      version: 1,
      tags: ['seed'],
      panels: [],
    });
    expect((await call(grafana(), 'GET', '/api/search?tag=seed')).body.map((hit: { uid: string }) => hit.uid)).toEqual([
      'seeded',
    ]);
  });

  it('seedDashboard refuses a uid already in use', () => {
    grafana().seedDashboard({ uid: 'once', title: 'Once' });
    expect(() => grafana().seedDashboard({ uid: 'once', title: 'Twice' })).toThrow(/already used/);
  });
});
