/**
 * `mlops serve`: an HTTP server over node:http for one or more models. The
 * event loop only parses, routes and answers; inference runs in worker
 * threads behind each model's batcher, so health checks keep answering at
 * full load. No admin endpoints.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { errorMessage, isMlopsError } from '../util/errors.js';
import { ClientAborted, HttpError, parseJson, readBody, sendJson } from './http-util.js';
import { answeredBy, invoke } from './invocations.js';
import { readInvocationsRequest, requestFormat } from './invocations-request.js';
import { type CapturedRows, tableInputs, tensorInputs } from './logged-rows.js';
import { endpointOf, type ServeMetrics } from './metrics.js';
import { checkVersion, infer, modelMetadata } from './oip.js';
import { ParseGate } from './parse-gate.js';
import { LARGE_BODY_BYTES, ParsePool } from './parse-pool.js';
import type { PredictionLog } from './prediction-log.js';
import type { ServedModel } from './served-model.js';

export interface ServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Per-request deadline (504 after it). */
  timeoutMs: number;
  /** Bearer token every endpoint but health needs; none: open. */
  token?: string;
  version: string;
  /** One JSON line per request (the CLI writes it to stderr). */
  log: (line: Record<string, unknown>) => void;
  /** `/metrics` and the request, queue and batch series; none: no `/metrics` endpoint. */
  metrics?: ServeMetrics;
  /** The prediction log of each model that has one, by served name. */
  predictionLogs?: Map<string, PredictionLog>;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Readiness to 503 at once, stop accepting, let accepted requests finish (up to `drainMs`). */
  close(drainMs: number): Promise<void>;
}

const OIP_MODEL = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;
const OPEN = new Set(['/v2/health/live', '/v2/health/ready', '/ping', '/health']);

function sameToken(given: string, expected: string): boolean {
  // Equal-length digests: the comparison time says nothing about the token.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The shortest time a client is given to send its headers and body (see arrivalMs). */
const MIN_ARRIVAL_MS = 1_000;

export async function startServer(models: ServedModel[], options: ServerOptions): Promise<RunningServer> {
  const byName = new Map(models.map((m) => [m.name, m]));
  let draining = false;
  /**
   * Accepted requests: from the moment their headers arrive until their answer is
   * written and their body has been read to the end. Drain waits for each of them.
   */
  const accepted = new Set<ServerResponse>();
  const parseGate = new ParseGate(LARGE_BODY_BYTES);
  const parsePool = new ParsePool();
  // Headers and body must arrive within --timeout, but never less than a second: a deadline of a few
  // ms is for inference (504), and a healthy client on a loaded machine needs that long to send.
  const arrivalMs = Math.max(options.timeoutMs, MIN_ARRIVAL_MS);
  const readLimited = (req: IncomingMessage) => readBody(req, { limit: options.maxBodyBytes, timeoutMs: arrivalMs });
  /** An /invocations request from its body: a large one waits its turn to be parsed (parse-gate.ts). */
  const invocationsRequest = async (format: 'json' | 'csv', bytes: Buffer) => {
    await parseGate.turn(bytes.length);
    return readInvocationsRequest(format, bytes);
  };
  /** An infer body: a large one is parsed, and its tensors built, in the parse worker (parse-pool.ts). */
  const inferDoc = (bytes: Buffer): Promise<unknown> =>
    bytes.length >= LARGE_BODY_BYTES ? parsePool.parse(bytes) : Promise.resolve().then(() => parseJson(bytes));

  const route = async (req: IncomingMessage, res: ServerResponse, log: Record<string, unknown>): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    if (options.token && !OPEN.has(p)) {
      const auth = req.headers.authorization ?? '';
      const given = /^Bearer (.+)$/i.exec(auth)?.[1] ?? '';
      if (!given || !sameToken(given, options.token))
        throw new HttpError(401, 'a valid bearer token is required (Authorization: Bearer <token>)', {
          'www-authenticate': 'Bearer',
        });
    }
    const getOnly = () => {
      // HEAD is GET without the body (node leaves it out).
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new HttpError(405, `${p} takes GET (or HEAD)`, { allow: 'GET, HEAD' });
    };
    if (['/v2/health/live', '/v2/health/ready', '/ping', '/health', '/v2', '/version'].includes(p)) getOnly();
    if (p === '/v2/health/live') return sendJson(res, 200, { live: true });
    if (p === '/v2/health/ready' || p === '/ping' || p === '/health') {
      if (draining) throw new HttpError(503, 'shutting down');
      return p.startsWith('/v2') ? sendJson(res, 200, { ready: true }) : sendJson(res, 200, {});
    }
    if (p === '/v2') return sendJson(res, 200, { name: 'mlops', version: options.version, extensions: [] });
    if (p === '/version') return sendJson(res, 200, { version: options.version });
    if (p === '/invocations') {
      // MLflow's scoring endpoint: it serves one model, so it answers for the first one given.
      const model = models[0];
      log.model = model.name;
      if (req.method !== 'POST') throw new HttpError(405, '/invocations takes POST', { allow: 'POST' });
      if (draining) await refuseWhileDraining(req);
      const format = requestFormat(req.headers['content-type']);
      const bytes = await readLimited(req);
      const plog = options.predictionLogs?.get(model.name);
      let captured: CapturedRows | undefined;
      // --timeout runs from the moment the body has arrived: the parse, the queue and the inference.
      const { request, answer } = await withDeadline(
        (async () => {
          const request = await invocationsRequest(format, bytes);
          if (request.paramsIgnored) log.params_ignored = true;
          const answer = await invoke(
            model,
            request,
            plog &&
              ((live, feeds, rows) =>
                (captured = plog.capture(
                  live,
                  request.kind === 'table' ? tableInputs(request.header, request.rows) : tensorInputs(live, feeds),
                  rows,
                ))),
          );
          return { request, answer };
        })(),
        options.timeoutMs,
      );
      log.model_version = answer.live.modelVersion;
      log.rows = (answer.doc as { predictions: unknown[] }).predictions.length;
      log.batch_rows = answer.batchRows;
      if (answer.timing)
        options.metrics?.observeQueue(model.name, String(answer.live.modelVersion ?? ''), answer.timing);
      sendJson(res, 200, answer.doc, answeredBy(model, answer.live, request.paramsIgnored));
      if (answer.timing) plog?.finish(captured, answer.timing.outputs);
      return;
    }
    if (p === '/metrics' && options.metrics) {
      // Behind the token like every non-health path: Prometheus sends it with `authorization.credentials_file`.
      if (req.method !== 'GET') throw new HttpError(405, '/metrics takes GET', { allow: 'GET' });
      const text = await options.metrics.render();
      res.writeHead(200, { 'content-type': options.metrics.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const m = OIP_MODEL.exec(p);
    if (!m) throw new HttpError(404, `no endpoint ${p} (the Open Inference Protocol paths are under /v2)`);
    const decode = (part: string) => {
      try {
        return decodeURIComponent(part);
      } catch {
        throw new HttpError(400, `the path ${p} has a malformed %-escape`);
      }
    };
    const model = byName.get(decode(m[1]));
    if (!model)
      throw new HttpError(404, `no model "${decode(m[1])}" is served here (serving: ${[...byName.keys()].join(', ')})`);
    const version = m[2] === undefined ? undefined : decode(m[2]);
    checkVersion(model, version);
    log.model = model.name;
    log.model_version = model.current.modelVersion;
    if (m[3] === '/infer') {
      if (req.method !== 'POST') throw new HttpError(405, 'infer takes POST', { allow: 'POST' });
      if (draining) await refuseWhileDraining(req);
      const bytes = await readLimited(req);
      const plog = options.predictionLogs?.get(model.name);
      let captured: CapturedRows | undefined;
      // --timeout runs from the moment the body has arrived: the parse (here or in the worker), the queue and the inference.
      const answer = await withDeadline(
        inferDoc(bytes).then((doc) =>
          infer(
            model,
            doc,
            version,
            plog && ((live, feeds, rows) => (captured = plog.capture(live, tensorInputs(live, feeds), rows))),
          ),
        ),
        options.timeoutMs,
      );
      log.model_version = answer.live.modelVersion;
      // The request's own rows (its outputs' first axis); the largest batch they ran in beside it.
      log.rows = (answer.doc as { outputs?: Array<{ shape?: number[] }> }).outputs?.[0]?.shape?.[0];
      log.batch_rows = answer.timing.batchRows;
      options.metrics?.observeQueue(model.name, String(answer.live.modelVersion ?? ''), answer.timing);
      sendJson(res, 200, answer.doc);
      // After the answer is on its way: logging costs the client nothing.
      plog?.finish(captured, answer.timing.outputs);
      return;
    }
    getOnly();
    if (m[3] === '/ready') return sendJson(res, 200, { name: model.name, ready: !draining });
    return sendJson(res, 200, modelMetadata(model));
  };

  // Node checks header and request timeouts on this interval (30 s by default): 1 s keeps --timeout meaningful.
  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    accepted.add(res);
    // Counted until the answer is out and the body has been read (an early 503 or 413 leaves some on the wire).
    let answered = false;
    let bodyRead = req.complete;
    // An answer that closes its connection (413, 408) is the end of it: the rest of that body, which
    // may never come, must not hold the drain.
    let closesConnection = false;
    const settle = () => answered && (bodyRead || closesConnection) && accepted.delete(res);
    const onAnswered = () => {
      answered = true;
      settle();
    };
    // 'finish' when the answer is written; 'close' also when the connection died first.
    res.once('finish', onAnswered);
    res.once('close', onAnswered);
    const readToEnd = () => {
      bodyRead = true;
      settle();
    };
    req.once('end', readToEnd);
    req.once('close', readToEnd);
    // While draining every answer closes its connection: a keep-alive client sends no more on it.
    if (draining) res.setHeader('connection', 'close');
    // The client went away before its answer was written: 499, as nginx logs it.
    let aborted = false;
    res.once('close', () => {
      if (!res.writableFinished) aborted = true;
    });
    options.metrics?.requestStarted();
    const started = performance.now();
    const log: Record<string, unknown> = {
      request_id: (req.headers['x-request-id'] as string | undefined) ?? randomBytes(8).toString('hex'),
      method: req.method,
      path: req.url,
    };
    route(req, res, log)
      .catch((err) => {
        if (err instanceof ClientAborted || aborted) {
          aborted = true;
          return;
        }
        const status = err instanceof HttpError ? err.status : isMlopsError(err) ? 400 : 500;
        const message =
          err instanceof HttpError || isMlopsError(err) ? err.message : `internal error: ${errorMessage(err)}`;
        log.error = message;
        const headers = err instanceof HttpError ? err.headers : {};
        closesConnection = headers.connection === 'close';
        if (!res.headersSent) sendJson(res, status, { error: message }, headers);
        else res.destroy();
      })
      .finally(() => {
        const status = aborted ? 499 : res.statusCode;
        const seconds = (performance.now() - started) / 1000;
        if (options.metrics) {
          options.metrics.requestFinished();
          const pathname = new URL(req.url ?? '/', 'http://x').pathname;
          options.metrics.observeRequest(
            {
              // Only a served model's name: an unknown name in the path never becomes a series.
              model: typeof log.model === 'string' ? log.model : '',
              version: log.model_version === undefined || log.model_version === null ? '' : String(log.model_version),
              endpoint: endpointOf(pathname),
              status,
            },
            seconds,
          );
        }
        options.log({
          ...log,
          status,
          ...(aborted ? { aborted: true } : {}),
          latency_ms: Math.round(seconds * 100_000) / 100,
        });
      });
  });
  server.keepAliveTimeout = 5_000;
  // Headers trickled slowly are cut at --timeout too (node answers 408); node's own limit is 60 s.
  server.headersTimeout = Math.min(arrivalMs, 60_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    async close(drainMs: number) {
      draining = true;
      const deadline = Date.now() + drainMs;
      for (const res of accepted) if (!res.headersSent) res.setHeader('connection', 'close');
      // Stop listening, but not http.Server.close(), which also closes idle keep-alive connections at
      // once: on a busy loop a request already sent on one may not have been read yet, and would be reset.
      NetServer.prototype.close.call(server);
      // A moment for the loop to read what was sent before the signal: such a request is accepted.
      await new Promise((r) => setTimeout(r, 50));
      server.closeIdleConnections();
      while (accepted.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await parsePool.close();
    },
  };
}

/** A request that arrives while draining: 503, once its body is read (dropped), so the client sees the answer, not a reset. */
async function refuseWhileDraining(req: IncomingMessage): Promise<never> {
  if (!req.complete) {
    req.resume();
    await new Promise((resolve) => {
      req.once('end', resolve);
      req.once('close', resolve);
    });
  }
  throw new HttpError(503, 'shutting down', { 'retry-after': '1', connection: 'close' });
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(504, `no answer within ${ms} ms (--timeout)`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
