// The HTTP scaffolding of the chat robot doubles (DingTalk, WeCom): one webhook path whose query names the robot,
// failure injection, bodies read up to a size, every request recorded with its errcode, robots with the messages they
// accepted and a rolling rate window, and an answer of HTTP 200 with `{errcode, errmsg}`. What a provider checks and
// how it words its answers stay in its own sink, which hands them to this one as `answerRobot`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, READ_LIMIT_BYTES } from './http-server.ts';

/** Bodies are read up to this size only; a longer one reaches `answerRobot` as `truncated`, to be refused all the same. */
export { READ_LIMIT_BYTES };

export type Answer = { errcode: number; errmsg: string };

export interface AcceptedMessage {
  body: Record<string, unknown>;
  /** ms, by the sink's clock */
  at: number;
}

export type InjectedFailure = 'http500' | 'close' | 'hang';

export interface RobotState {
  accepted: AcceptedMessage[];
  /** Times of accepted messages within the last rate window. */
  recent: number[];
}

/** A request that reached the webhook path and was not failed on purpose. */
export interface RobotRequest<Robot> {
  method: string | undefined;
  contentType: string | undefined;
  query: URLSearchParams;
  /** The robot the query names; undefined when none of that name exists. */
  robot: Robot | undefined;
  raw: Buffer;
  /** The body was longer than the sink reads. */
  truncated: boolean;
  /** ms, by the sink's clock */
  now: number;
}

export interface RobotSinkSetup<Robot extends RobotState, Request> {
  /** The double's name for its own errors: "DingTalk sink". */
  name: string;
  path: string;
  /** The query parameter that names the robot. */
  robotParam: string;
  /** The Content-Type of answers, byte for byte as the provider sends it. */
  answerContentType: string;
  now: () => number;
  /** The provider's checks, in its order; `acceptMessage` when the message is taken. */
  answerRobot(request: RobotRequest<Robot>): Answer;
  /** The record of one request: the robot's name (as the query gave it) under the provider's word for it. */
  recordRequest(robotName: string | null, at: number, outcome: number | InjectedFailure): Request;
}

/** What every robot sink offers a test. */
export interface RobotSink<Request> {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** The robot's webhook, as the provider's settings page shows it: `<baseUrl><path>?<robotParam>=<name>`. */
  url(name: string): string;
  /** Messages the robot accepted, oldest first. */
  messages(name: string): AcceptedMessage[];
  /** Every request that reached the robot path, in order. */
  requests: Request[];
  /** The next `count` requests get this instead of an answer: HTTP 500, the connection closed, or no answer at all. */
  failNext(count: number, failure: InjectedFailure): void;
  close(): Promise<void>;
}

export interface RobotSinkServer<Robot extends RobotState, Request> {
  sink: RobotSink<Request>;
  addRobot(name: string, robot: Robot): void;
  robotOf(name: string): Robot;
}

/** The body as a JSON object; undefined for anything else (not JSON, an array, a string…). */
export function parseJsonObject(raw: Buffer): Record<string, unknown> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

export function acceptMessage(robot: RobotState, body: Record<string, unknown>, now: number): void {
  robot.recent.push(now);
  robot.accepted.push({ body, at: now });
}

/** Forgets the messages older than the window, and says whether the robot has sent its `limit` within it. */
export function rateWindowFull(robot: RobotState, now: number, limit: number, windowMs: number): boolean {
  robot.recent = robot.recent.filter((t) => t > now - windowMs);
  return robot.recent.length >= limit;
}

export async function startRobotSink<Robot extends RobotState, Request>(setup: RobotSinkSetup<Robot, Request>): Promise<RobotSinkServer<Robot, Request>> {
  const robots = new Map<string, Robot>();
  const failures: InjectedFailure[] = [];
  const requests: Request[] = [];

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sink');
    if (url.pathname !== setup.path) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const robotName = url.searchParams.get(setup.robotParam);
    const failure = failures.shift();
    if (failure) {
      requests.push(setup.recordRequest(robotName, setup.now(), failure));
      if (failure === 'http500') res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html>500 Internal Server Error</html>');
      if (failure === 'close') req.socket.destroy();
      // 'hang': never answered; close() ends the connection.
      return;
    }
    const { raw, truncated } = await readBody(req);
    let answer: Answer;
    try {
      const robot = robots.get(robotName ?? '');
      answer = setup.answerRobot({ method: req.method, contentType: req.headers['content-type'], query: url.searchParams, robot, raw, truncated, now: setup.now() });
    } catch (error) {
      // A bug in the double must show up in the test, not as a hung request.
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${setup.name} crashed: ${String(error)}`);
      return;
    }
    requests.push(setup.recordRequest(robotName, setup.now(), answer.errcode));
    res.writeHead(200, { 'Content-Type': setup.answerContentType }).end(JSON.stringify(answer));
  };

  const server = createServer((req, res) => void handleRequest(req, res));
  const { port } = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}`;
  const robotOf = (name: string) => {
    const robot = robots.get(name);
    if (!robot) throw new Error(`${setup.name}: no robot ${name}`);
    return robot;
  };
  return {
    sink: {
      baseUrl,
      url: (name) => `${baseUrl}${setup.path}?${setup.robotParam}=${encodeURIComponent(name)}`,
      messages: (name) => robotOf(name).accepted,
      requests,
      failNext(count, failure) {
        for (let i = 0; i < count; i++) failures.push(failure);
      },
      close: () => closeServer(server),
    },
    addRobot(name, robot) {
      if (robots.has(name)) throw new Error(`${setup.name}: robot ${name} exists already`);
      robots.set(name, robot);
    },
    robotOf,
  };
}

