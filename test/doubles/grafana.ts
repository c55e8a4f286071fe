// A local HTTP double of Grafana's dashboard, folder, search and health API, following /work/shared/grafana-api.md
// (Grafana 10.x/11.x). No Grafana server can be installed on our machines, so Vigil's Grafana client is tested here.
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GrafanaDoubleOptions {
  /** The service account token accepted with full rights. Default 'glsa_test'. */
  token?: string;
  /** Reported by /api/health. Default '11.2.0'. */
  version?: string;
  /** Rule 8 (Grafana <= 11.2): dashboard titles are unique within a folder. Default true. */
  titleUniqueness?: boolean;
  /** A token of a Viewer: it may read, and every write it attempts is refused with 403. Default: none. */
  viewerToken?: string;
}

export interface StoredDashboard {
  id: number;
  uid: string;
  title: string;
  version: number;
  folderUid?: string;
  json: Record<string, unknown>;
  provisioned?: boolean;
  pluginId?: string;
  created: string;
  updated: string;
  message?: string;
}

export interface StoredFolder {
  id: number;
  uid: string;
  title: string;
  version: number;
  parentUid?: string;
}

export interface GrafanaDouble {
  /** http://127.0.0.1:<port>, the port chosen by the kernel. */
  url: string;
  token: string;
  /** Live state by uid: tests may inspect or seed it. */
  dashboards: Map<string, StoredDashboard>;
  folders: Map<string, StoredFolder>;
  /** Every request handled, in order; `path` is the URL path without the query string. */
  requests: { method: string; path: string; status: number }[];
  seedDashboard(d: {
    uid: string;
    title: string;
    tags?: string[];
    folderUid?: string;
    provisioned?: boolean;
    pluginId?: string;
    json?: Record<string, unknown>;
  }): StoredDashboard;
  /** While failing, /api/health answers 503 with "database":"failing". */
  setDatabaseFailing(failing: boolean): void;
  /** The next request with this method whose path starts with pathPrefix gets this answer instead, state untouched. */
  failNext(method: string, pathPrefix: string, status: number, body?: unknown): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Role = 'editor' | 'viewer';

interface Reply {
  status: number;
  body: unknown;
}

interface InjectedFailure {
  method: string;
  pathPrefix: string;
  reply: Reply;
}

interface GrafanaRequest {
  method: string;
  path: string;
  params: string[];
  query: URLSearchParams;
  rawBody: string;
  role: Role;
}

interface Route {
  method: string;
  pattern: RegExp;
  handle(state: GrafanaState, request: GrafanaRequest): Reply;
}

interface GrafanaState {
  token: string;
  viewerToken?: string;
  version: string;
  titleUniqueness: boolean;
  dashboards: Map<string, StoredDashboard>;
  folders: Map<string, StoredFolder>;
  folderTimestamps: Map<string, { created: string; updated: string }>;
  startedAt: string;
  databaseFailing: boolean;
  injectedFailures: InjectedFailure[];
  lastIssuedId: number;
}

/** Thrown by handlers to answer with an error; caught once in the request loop. */
class GrafanaError extends Error {
  constructor(readonly reply: Reply) {
    super(`Grafana double: ${reply.status}`);
  }
}

function fail(status: number, body: Json): never {
  throw new GrafanaError({ status, body });
}

const ok = (body: unknown): Reply => ({ status: 200, body });

const ACTOR_LOGIN = 'sa-vigil';
const COMMIT = 'abc1234';
const ROOT_FOLDER_TITLE = 'General';
const UID_PATTERN = /^[a-zA-Z0-9\-_]*$/;
const MAX_UID_LENGTH = 40;
const GENERATED_UID_LENGTH = 9;
const UID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DEFAULT_SEARCH_LIMIT = 1000;
const MAX_SEARCH_LIMIT = 5000;

const errors = {
  notFound: { message: 'Not found' },
  invalidApiKey: {
    extra: null,
    message: 'Invalid API key',
    messageId: 'api-key.invalid',
    statusCode: 401,
    traceID: '',
  },
  unauthorized: { extra: null, message: 'Unauthorized', messageId: 'auth.unauthorized', statusCode: 401, traceID: '' },
  badRequestData: { message: 'bad request data' },
  dashboardNotFoundForSave: { message: 'Dashboard not found', status: 'not-found' },
  dashboardNotFound: { message: 'Dashboard not found' },
  sameUidExists: { message: 'A dashboard with the same uid already exists' },
  versionMismatch: { message: 'The dashboard has been changed by someone else', status: 'version-mismatch' },
  nameExists: { message: 'A dashboard with the same name in the folder already exists', status: 'name-exists' },
  emptyTitle: { message: 'Dashboard title cannot be empty', status: 'empty-name' },
  illegalUid: { message: 'uid contains illegal characters' },
  uidTooLong: { message: 'uid too long, max 40 characters' },
  dashboardFolderNotFound: { message: 'folder not found' },
  cannotSaveProvisioned: { message: 'Cannot save provisioned dashboard' },
  cannotDeleteProvisioned: { message: 'provisioned dashboard cannot be deleted' },
  // Grafana keeps folders in the dashboard table, so a dashboard cannot take a folder's uid.
  dashboardTypeMismatch: { message: 'Dashboard cannot be changed to a folder' },
  accessDeniedToSave: { message: 'Access denied to save dashboard' },
  searchLimitTooHigh: {
    message: 'Limit is above maximum allowed (5000), use page parameter to access hits beyond limit',
  },
  folderNotFound: { message: 'folder not found', status: 'not-found' },
  folderTitleEmpty: { message: 'folder title cannot be empty' },
  folderUidExists: { message: 'a folder/dashboard with the same uid already exists' },
  folderVersionMismatch: { message: 'the folder has been changed by someone else', status: 'version-mismatch' },
  pluginDashboard: (pluginId: string) => ({
    message: `The dashboard belongs to plugin ${pluginId}.`,
    status: 'plugin-dashboard',
  }),
  rbacDenied: (action: string) => ({
    message: `You'll need additional permissions to perform this action. Permissions needed: ${action}`,
    title: 'Access denied',
  }),
};

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const dashboardUrl = (uid: string, title: string) => `/d/${uid}/${slugify(title)}`;
const folderUrl = (uid: string, title: string) => `/dashboards/f/${uid}/${slugify(title)}`;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

/** Like Go's json decoding into a typed field: null is the zero value, a wrong type is a bad request. */
function optionalField<T>(body: Json, name: string, type: 'string' | 'number' | 'boolean'): T | undefined {
  const value = body[name];
  if (isAbsent(value)) return undefined;
  if (typeof value !== type) fail(400, errors.badRequestData);
  return value as T;
}

function parseJsonObject(rawBody: string): Json {
  try {
    const parsed: unknown = JSON.parse(rawBody);
    if (isPlainObject(parsed)) return parsed;
  } catch {
    // falls through to the same answer as a non-object body
  }
  return fail(400, errors.badRequestData);
}

function sameFolder(a: string | undefined, b: string | undefined): boolean {
  return (a || '') === (b || '');
}

function byTitleIgnoringCase(a: { title: string }, b: { title: string }): number {
  const left = a.title.toLowerCase();
  const right = b.title.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

function isUidTaken(state: GrafanaState, uid: string): boolean {
  return state.dashboards.has(uid) || state.folders.has(uid);
}

function generateUid(state: GrafanaState): string {
  for (;;) {
    let uid = '';
    for (let i = 0; i < GENERATED_UID_LENGTH; i++) uid += UID_ALPHABET[randomInt(UID_ALPHABET.length)];
    if (!isUidTaken(state, uid)) return uid;
  }
}

/** Dashboards and folders share one id sequence (one table in Grafana); ids are never reused. */
function issueId(state: GrafanaState): number {
  const ids = [...state.dashboards.values(), ...state.folders.values()].map((item) => item.id);
  state.lastIssuedId = Math.max(state.lastIssuedId, ...ids) + 1;
  return state.lastIssuedId;
}

function validateUid(uid: string): void {
  if (!UID_PATTERN.test(uid)) fail(400, errors.illegalUid);
  if (uid.length > MAX_UID_LENGTH) fail(400, errors.uidTooLong);
}

function findDashboardById(state: GrafanaState, id: number): StoredDashboard | undefined {
  return [...state.dashboards.values()].find((d) => d.id === id);
}

function findFolderById(state: GrafanaState, id: number): StoredFolder | undefined {
  return [...state.folders.values()].find((f) => f.id === id);
}

function dashboardTags(dashboard: StoredDashboard): string[] {
  const tags = dashboard.json.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function denyViewer(request: GrafanaRequest, action: string): void {
  if (request.role === 'viewer') fail(403, errors.rbacDenied(action));
}

// ---------------------------------------------------------------------------------------------------------------
// POST /api/dashboards/db

interface SaveCommand {
  dashboard: Json;
  folderUid?: string;
  folderId?: number;
  overwrite: boolean;
  message?: string;
}

interface PostedDashboard {
  id: number;
  uid: string;
  version: number;
  title: string;
  json: Json;
}

function parseSaveCommand(rawBody: string): SaveCommand {
  const body = parseJsonObject(rawBody);
  if (!isPlainObject(body.dashboard)) fail(400, errors.badRequestData);
  return {
    dashboard: body.dashboard as Json,
    folderUid: optionalField<string>(body, 'folderUid', 'string'),
    folderId: optionalField<number>(body, 'folderId', 'number'),
    overwrite: optionalField<boolean>(body, 'overwrite', 'boolean') ?? false,
    message: optionalField<string>(body, 'message', 'string'),
  };
}

/** Rule 1: `version` is read only when the dashboard has a numeric `id` or a string `uid`; otherwise it is 0. */
function readPostedDashboard(json: Json): PostedDashboard {
  const hasNumericId = typeof json.id === 'number';
  const hasStringUid = typeof json.uid === 'string';
  const versionIsRead = (hasNumericId || hasStringUid) && typeof json.version === 'number';
  return {
    id: hasNumericId ? Math.trunc(json.id as number) : 0,
    uid: hasStringUid ? (json.uid as string) : '',
    version: versionIsRead ? Math.trunc(json.version as number) : 0,
    title: typeof json.title === 'string' ? json.title.trim() : '',
    json,
  };
}

/** folderUid wins over the deprecated folderId; neither means the root, also on update. */
function resolveSaveFolder(state: GrafanaState, command: SaveCommand): string | undefined {
  if (command.folderUid) {
    if (!state.folders.has(command.folderUid)) fail(400, errors.dashboardFolderNotFound);
    return command.folderUid;
  }
  if (command.folderId) {
    return findFolderById(state, command.folderId)?.uid ?? fail(400, errors.dashboardFolderNotFound);
  }
  return undefined;
}

/** Rules 2, 3, 4, 5 and 7: the dashboard an id or uid names, if any, and whether it may be updated. */
function findDashboardToUpdate(
  state: GrafanaState,
  posted: PostedDashboard,
  overwrite: boolean,
): StoredDashboard | undefined {
  const byId =
    posted.id > 0 ? (findDashboardById(state, posted.id) ?? fail(404, errors.dashboardNotFoundForSave)) : undefined;
  const byUid = posted.uid ? state.dashboards.get(posted.uid) : undefined;
  if (byId && byUid && byId.id !== byUid.id) fail(400, errors.sameUidExists);
  if (!byUid && state.folders.has(posted.uid)) fail(400, errors.dashboardTypeMismatch);
  const existing = byId ?? byUid;
  if (!existing) return undefined;
  if (posted.version !== existing.version && !overwrite) fail(412, errors.versionMismatch);
  if (existing.pluginId && !overwrite) fail(412, errors.pluginDashboard(existing.pluginId));
  return existing;
}

/** Rule 8: another dashboard with the same title in the same folder; with overwrite the save takes it over. */
function findDashboardToTakeOver(
  state: GrafanaState,
  posted: PostedDashboard,
  folderUid: string | undefined,
  updating: StoredDashboard | undefined,
  overwrite: boolean,
): StoredDashboard | undefined {
  if (!state.titleUniqueness) return undefined;
  const namesake = [...state.dashboards.values()].find(
    (d) => d.title === posted.title && sameFolder(d.folderUid, folderUid) && d.id !== updating?.id,
  );
  if (namesake && !overwrite) fail(412, errors.nameExists);
  return namesake;
}

function storeDashboard(
  state: GrafanaState,
  posted: PostedDashboard,
  replaced: StoredDashboard | undefined,
  uid: string,
  folderUid: string | undefined,
  message: string | undefined,
): StoredDashboard {
  const now = new Date().toISOString();
  const id = replaced?.id ?? issueId(state);
  const version = replaced ? replaced.version + 1 : 1;
  const stored: StoredDashboard = {
    id,
    uid,
    title: posted.title,
    version,
    ...(folderUid ? { folderUid } : {}),
    json: { ...posted.json, id, uid, title: posted.title, version },
    ...(replaced?.provisioned ? { provisioned: true } : {}),
    ...(replaced?.pluginId ? { pluginId: replaced.pluginId } : {}),
    created: replaced?.created ?? now,
    updated: now,
    ...(message !== undefined ? { message } : {}),
  };
  if (replaced) state.dashboards.delete(replaced.uid);
  state.dashboards.set(uid, stored);
  return stored;
}

// The order of the checks is Grafana's: title, uid, folder, id/uid lookup, title clash, provisioning, permission.
function saveDashboard(state: GrafanaState, request: GrafanaRequest): Reply {
  const command = parseSaveCommand(request.rawBody);
  const posted = readPostedDashboard(command.dashboard);
  if (!posted.title) fail(400, errors.emptyTitle);
  validateUid(posted.uid);
  const folderUid = resolveSaveFolder(state, command);
  const updating = findDashboardToUpdate(state, posted, command.overwrite);
  const takenOver = findDashboardToTakeOver(state, posted, folderUid, updating, command.overwrite);
  const replaced = takenOver ?? updating;
  if (replaced?.provisioned) fail(400, errors.cannotSaveProvisioned);
  if (request.role === 'viewer') fail(403, errors.accessDeniedToSave);
  const uid = takenOver?.uid || posted.uid || updating?.uid || generateUid(state);
  const saved = storeDashboard(state, posted, replaced, uid, folderUid, command.message);
  const slug = slugify(saved.title);
  return ok({
    id: saved.id,
    uid: saved.uid,
    url: `/d/${saved.uid}/${slug}`,
    status: 'success',
    version: saved.version,
    slug,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// GET / DELETE /api/dashboards/uid/:uid

function existingDashboard(state: GrafanaState, uid: string): StoredDashboard {
  return state.dashboards.get(uid) ?? fail(404, errors.dashboardNotFound);
}

function dashboardMeta(state: GrafanaState, dashboard: StoredDashboard, role: Role): Json {
  const folder = dashboard.folderUid ? state.folders.get(dashboard.folderUid) : undefined;
  const canWrite = role === 'editor';
  return {
    type: 'db',
    canSave: canWrite,
    canEdit: canWrite,
    slug: slugify(dashboard.title),
    url: dashboardUrl(dashboard.uid, dashboard.title),
    created: dashboard.created,
    updated: dashboard.updated,
    updatedBy: ACTOR_LOGIN,
    createdBy: ACTOR_LOGIN,
    version: dashboard.version,
    isFolder: false,
    folderId: folder?.id ?? 0,
    folderUid: folder?.uid ?? '',
    folderTitle: folder?.title ?? ROOT_FOLDER_TITLE,
    folderUrl: folder ? folderUrl(folder.uid, folder.title) : '',
    provisioned: dashboard.provisioned ?? false,
  };
}

function getDashboard(state: GrafanaState, request: GrafanaRequest): Reply {
  const dashboard = existingDashboard(state, request.params[0]);
  return ok({ dashboard: dashboard.json, meta: dashboardMeta(state, dashboard, request.role) });
}

function deleteDashboard(state: GrafanaState, request: GrafanaRequest): Reply {
  denyViewer(request, 'dashboards:delete');
  const dashboard = existingDashboard(state, request.params[0]);
  if (dashboard.provisioned) fail(400, errors.cannotDeleteProvisioned);
  state.dashboards.delete(dashboard.uid);
  return ok({ title: dashboard.title, message: `Dashboard ${dashboard.title} deleted`, id: dashboard.id });
}

// ---------------------------------------------------------------------------------------------------------------
// GET /api/search

interface SearchCandidate {
  type: 'dash-folder' | 'dash-db';
  id: number;
  uid: string;
  title: string;
  tags: string[];
  parentUid?: string;
}

interface SearchFilter {
  query: string;
  tags: string[];
  type: string;
  dashboardUids: string[];
  folderUids: string[];
}

function searchCandidates(state: GrafanaState): SearchCandidate[] {
  const folders = [...state.folders.values()].map((f): SearchCandidate => ({
    type: 'dash-folder',
    id: f.id,
    uid: f.uid,
    title: f.title,
    tags: [],
    parentUid: f.parentUid,
  }));
  const dashboards = [...state.dashboards.values()].map((d): SearchCandidate => ({
    type: 'dash-db',
    id: d.id,
    uid: d.uid,
    title: d.title,
    tags: dashboardTags(d),
    parentUid: d.folderUid,
  }));
  return [...folders, ...dashboards];
}

/** folderUIDs names the root as "general" or as an empty string. */
const normaliseFolderUid = (uid: string) => (uid === 'general' ? '' : uid);

function matchesSearch(candidate: SearchCandidate, filter: SearchFilter): boolean {
  const folderUid = candidate.parentUid || '';
  return (
    candidate.title.toLowerCase().includes(filter.query.toLowerCase()) &&
    filter.tags.every((tag) => candidate.tags.includes(tag)) &&
    (filter.type !== 'dash-db' || candidate.type === 'dash-db') &&
    (filter.type !== 'dash-folder' || candidate.type === 'dash-folder') &&
    (filter.dashboardUids.length === 0 || filter.dashboardUids.includes(candidate.uid)) &&
    (filter.folderUids.length === 0 || filter.folderUids.map(normaliseFolderUid).includes(folderUid))
  );
}

function foldersFirstThenByTitle(a: SearchCandidate, b: SearchCandidate): number {
  if (a.type !== b.type) return a.type === 'dash-folder' ? -1 : 1;
  return byTitleIgnoringCase(a, b);
}

function searchHit(state: GrafanaState, candidate: SearchCandidate): Json {
  const parent = candidate.parentUid ? state.folders.get(candidate.parentUid) : undefined;
  const slug = slugify(candidate.title);
  const url =
    candidate.type === 'dash-db'
      ? dashboardUrl(candidate.uid, candidate.title)
      : folderUrl(candidate.uid, candidate.title);
  return {
    id: candidate.id,
    uid: candidate.uid,
    orgId: 1,
    title: candidate.title,
    uri: `db/${slug}`,
    url,
    slug: '',
    type: candidate.type,
    tags: candidate.tags,
    isStarred: false,
    ...(parent
      ? {
          folderId: parent.id,
          folderUid: parent.uid,
          folderTitle: parent.title,
          folderUrl: folderUrl(parent.uid, parent.title),
        }
      : {}),
    sortMeta: 0,
  };
}

function positiveInteger(value: string | null): number | undefined {
  const parsed = Number.parseInt(value ?? '', 10);
  return parsed >= 1 ? parsed : undefined;
}

function search(state: GrafanaState, request: GrafanaRequest): Reply {
  const { query } = request;
  const limit = positiveInteger(query.get('limit')) ?? DEFAULT_SEARCH_LIMIT;
  if (limit > MAX_SEARCH_LIMIT) fail(422, errors.searchLimitTooHigh);
  const page = positiveInteger(query.get('page')) ?? 1;
  const filter: SearchFilter = {
    query: query.get('query') ?? '',
    tags: query.getAll('tag'),
    type: query.get('type') ?? '',
    dashboardUids: query.getAll('dashboardUIDs'),
    folderUids: query.getAll('folderUIDs'),
  };
  const hits = searchCandidates(state)
    .filter((candidate) => matchesSearch(candidate, filter))
    .sort(foldersFirstThenByTitle)
    .slice((page - 1) * limit, page * limit);
  return ok(hits.map((candidate) => searchHit(state, candidate)));
}

// ---------------------------------------------------------------------------------------------------------------
// Folders

function folderBody(state: GrafanaState, folder: StoredFolder, role: Role): Json {
  const times = state.folderTimestamps.get(folder.uid) ?? { created: state.startedAt, updated: state.startedAt };
  const canWrite = role === 'editor';
  return {
    id: folder.id,
    uid: folder.uid,
    title: folder.title,
    url: folderUrl(folder.uid, folder.title),
    hasAcl: false,
    canSave: canWrite,
    canEdit: canWrite,
    canAdmin: canWrite,
    createdBy: ACTOR_LOGIN,
    created: times.created,
    updatedBy: ACTOR_LOGIN,
    updated: times.updated,
    version: folder.version,
    ...(folder.parentUid ? { parentUid: folder.parentUid } : {}),
  };
}

function existingFolder(state: GrafanaState, uid: string): StoredFolder {
  return state.folders.get(uid) ?? fail(404, errors.folderNotFound);
}

/** Nested folders (on by default in 11.x): the list holds one level, the root unless parentUid says otherwise. */
function listFolders(state: GrafanaState, request: GrafanaRequest): Reply {
  const parentUid = request.query.get('parentUid') ?? '';
  const children = [...state.folders.values()]
    .filter((f) => sameFolder(f.parentUid, parentUid))
    .sort(byTitleIgnoringCase)
    .map((f) => ({ id: f.id, uid: f.uid, title: f.title, ...(f.parentUid ? { parentUid: f.parentUid } : {}) }));
  return ok(children);
}

function requiredFolderTitle(body: Json): string {
  const title = optionalField<string>(body, 'title', 'string')?.trim();
  return title || fail(400, errors.folderTitleEmpty);
}

function createFolder(state: GrafanaState, request: GrafanaRequest): Reply {
  denyViewer(request, 'folders:create');
  const body = parseJsonObject(request.rawBody);
  const title = requiredFolderTitle(body);
  const requestedUid = optionalField<string>(body, 'uid', 'string') ?? '';
  const parentUid = optionalField<string>(body, 'parentUid', 'string') || undefined;
  validateUid(requestedUid);
  if (isUidTaken(state, requestedUid)) fail(409, errors.folderUidExists);
  if (parentUid) existingFolder(state, parentUid);
  const folder: StoredFolder = {
    id: issueId(state),
    uid: requestedUid || generateUid(state),
    title,
    version: 1,
    ...(parentUid ? { parentUid } : {}),
  };
  const now = new Date().toISOString();
  state.folders.set(folder.uid, folder);
  state.folderTimestamps.set(folder.uid, { created: now, updated: now });
  return ok(folderBody(state, folder, request.role));
}

function getFolder(state: GrafanaState, request: GrafanaRequest): Reply {
  return ok(folderBody(state, existingFolder(state, request.params[0]), request.role));
}

function updateFolder(state: GrafanaState, request: GrafanaRequest): Reply {
  denyViewer(request, 'folders:write');
  const folder = existingFolder(state, request.params[0]);
  const body = parseJsonObject(request.rawBody);
  const title = isAbsent(body.title) ? folder.title : requiredFolderTitle(body);
  const version = optionalField<number>(body, 'version', 'number') ?? 0;
  const overwrite = optionalField<boolean>(body, 'overwrite', 'boolean') ?? false;
  if (version !== folder.version && !overwrite) fail(412, errors.folderVersionMismatch);
  folder.title = title;
  folder.version += 1;
  const created = state.folderTimestamps.get(folder.uid)?.created ?? state.startedAt;
  state.folderTimestamps.set(folder.uid, { created, updated: new Date().toISOString() });
  return ok(folderBody(state, folder, request.role));
}

// ---------------------------------------------------------------------------------------------------------------
// Health, authentication and the request loop

function health(state: GrafanaState): Reply {
  const body = { database: state.databaseFailing ? 'failing' : 'ok', version: state.version, commit: COMMIT };
  return { status: state.databaseFailing ? 503 : 200, body };
}

const routes: Route[] = [
  { method: 'POST', pattern: /^\/api\/dashboards\/db\/?$/, handle: saveDashboard },
  { method: 'GET', pattern: /^\/api\/dashboards\/uid\/([^/]+)$/, handle: getDashboard },
  { method: 'DELETE', pattern: /^\/api\/dashboards\/uid\/([^/]+)$/, handle: deleteDashboard },
  { method: 'GET', pattern: /^\/api\/search\/?$/, handle: search },
  { method: 'GET', pattern: /^\/api\/folders\/?$/, handle: listFolders },
  { method: 'POST', pattern: /^\/api\/folders\/?$/, handle: createFolder },
  { method: 'GET', pattern: /^\/api\/folders\/([^/]+)$/, handle: getFolder },
  { method: 'PUT', pattern: /^\/api\/folders\/([^/]+)$/, handle: updateFolder },
];

function findRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    const match = route.method === method ? route.pattern.exec(path) : null;
    if (match) return { route, params: match.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}

function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** undefined: no credentials at all. */
function roleOf(state: GrafanaState, token: string | undefined): Role | 'invalid' | undefined {
  if (token === undefined) return undefined;
  if (token === state.token) return 'editor';
  if (state.viewerToken !== undefined && token === state.viewerToken) return 'viewer';
  return 'invalid';
}

function takeInjectedFailure(state: GrafanaState, method: string, path: string): Reply | undefined {
  const index = state.injectedFailures.findIndex((f) => f.method === method && path.startsWith(f.pathPrefix));
  if (index < 0) return undefined;
  return state.injectedFailures.splice(index, 1)[0].reply;
}

// Like Grafana: a bad token is refused on any route, an unknown route is a 404 before credentials are required.
function answer(
  state: GrafanaState,
  method: string,
  url: URL,
  authorization: string | undefined,
  rawBody: string,
): Reply {
  const path = url.pathname;
  const injected = takeInjectedFailure(state, method, path);
  if (injected) return injected;
  if (method === 'GET' && path === '/api/health') return health(state);
  const role = roleOf(state, bearerToken(authorization));
  if (role === 'invalid') return { status: 401, body: errors.invalidApiKey };
  const found = findRoute(method, path);
  if (!found) return { status: 404, body: errors.notFound };
  if (role === undefined) return { status: 401, body: errors.unauthorized };
  try {
    return found.route.handle(state, { method, path, params: found.params, query: url.searchParams, rawBody, role });
  } catch (error) {
    if (error instanceof GrafanaError) return error.reply;
    throw error;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, reply: Reply): void {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function handleRequest(
  state: GrafanaState,
  log: GrafanaDouble['requests'],
  req: IncomingMessage,
  res: ServerResponse,
) {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://grafana.invalid');
  let reply: Reply;
  try {
    reply = answer(state, method, url, req.headers.authorization, await readBody(req));
  } catch (error) {
    // A bug in the double must show up in the test, not as a hung request.
    reply = { status: 500, body: { message: `Grafana double crashed: ${String(error)}` } };
  }
  log.push({ method, path: url.pathname, status: reply.status });
  sendJson(res, reply);
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // fetch keeps connections alive; without this close() would wait for them to time out.
    server.closeAllConnections();
  });
}

function seed(state: GrafanaState, d: Parameters<GrafanaDouble['seedDashboard']>[0]): StoredDashboard {
  if (isUidTaken(state, d.uid)) throw new Error(`Grafana double: uid ${d.uid} is already used`);
  if (d.folderUid && !state.folders.has(d.folderUid)) throw new Error(`Grafana double: no folder ${d.folderUid}`);
  const id = issueId(state);
  const now = new Date().toISOString();
  const stored: StoredDashboard = {
    id,
    uid: d.uid,
    title: d.title,
    version: 1,
    ...(d.folderUid ? { folderUid: d.folderUid } : {}),
    json: { ...d.json, ...(d.tags ? { tags: d.tags } : {}), id, uid: d.uid, title: d.title, version: 1 },
    ...(d.provisioned ? { provisioned: true } : {}),
    ...(d.pluginId ? { pluginId: d.pluginId } : {}),
    created: now,
    updated: now,
  };
  state.dashboards.set(d.uid, stored);
  return stored;
}

export async function startGrafanaDouble(options: GrafanaDoubleOptions = {}): Promise<GrafanaDouble> {
  const state: GrafanaState = {
    token: options.token ?? 'glsa_test',
    viewerToken: options.viewerToken,
    version: options.version ?? '11.2.0',
    titleUniqueness: options.titleUniqueness ?? true,
    dashboards: new Map(),
    folders: new Map(),
    folderTimestamps: new Map(),
    startedAt: new Date().toISOString(),
    databaseFailing: false,
    injectedFailures: [],
    lastIssuedId: 0,
  };
  const requests: GrafanaDouble['requests'] = [];
  const server = createServer((req, res) => void handleRequest(state, requests, req, res));
  const address = await listen(server);
  return {
    url: `http://127.0.0.1:${address.port}`,
    token: state.token,
    dashboards: state.dashboards,
    folders: state.folders,
    requests,
    seedDashboard: (d) => seed(state, d),
    setDatabaseFailing(failing) {
      state.databaseFailing = failing;
    },
    failNext(method, pathPrefix, status, body = { message: 'injected failure' }) {
      state.injectedFailures.push({ method: method.toUpperCase(), pathPrefix, reply: { status, body } });
    },
    close: () => closeServer(server),
  };
}
