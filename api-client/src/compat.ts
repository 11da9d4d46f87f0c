/*
 * The hand-written adapter (everything under src/generated/ is generated; never edit it).
 * It gives the generated @hey-api classes the surface of OpenAPI Generator's typescript-fetch
 * client that Pegasus code is written against:
 *
 *   const config = new Configuration({ basePath: 'http://localhost:8000', headers: { 'X-CSRFToken': csrf } });
 *   const client = new PegasusApi(config);
 *   client.employeesList().then((result) => console.log(result.results));
 *   client.employeesCreate({ employee: { name, department, salary } });
 *
 * 1. `Configuration` takes typescript-fetch's parameters (basePath, headers, accessToken,
 *    apiKey, credentials, fetchApi) and holds the @hey-api fetch client they configure.
 * 2. Each API class (`compatApi(gen.PegasusApi)`) takes a Configuration and accepts the request
 *    objects under typescript-fetch's names: @hey-api names a body after the schema it uses
 *    for requests (`employeeWritable`, because Employee has read-only fields), typescript-fetch
 *    after the schema (`employee`). Both spellings are accepted.
 * 3. A failed call rejects with `ResponseError` (`.response`, a readable copy of the HTTP
 *    response, as typescript-fetch has it; plus `.status` and `.body`, the parsed DRF error such
 *    as `{"name": ["This field is required."]}`); a network failure with `FetchError`.
 */
import { createClient, type Client } from './generated/client/index.js';

type Value = string | undefined;
type Provider = Value | ((name: string) => Value | Promise<Value>);

export interface ConfigurationParameters {
  /** Where the API is, e.g. 'http://localhost:8000'; '' (the default) is the page's own origin. */
  basePath?: string;
  /** Headers sent with every request, e.g. { 'X-CSRFToken': csrftoken } with session cookies. */
  headers?: Record<string, string>;
  /** A JWT access token (or a function giving one) for operations that accept jwtAuth. */
  accessToken?: Provider;
  /** The whole Authorization value for ApiKeyAuth, 'Api-Key <key>', as typescript-fetch takes it. */
  apiKey?: Provider;
  /** fetch's credentials mode: 'include' sends cookies to another origin. */
  credentials?: RequestCredentials;
  /** A fetch implementation to use instead of the global one. */
  fetchApi?: typeof fetch;
}

/** A non-2xx answer. `response` can be read again (`await err.response.json()`). */
export class ResponseError extends Error {
  override name = 'ResponseError';
  readonly status: number;
  constructor(readonly response: Response, readonly body: unknown) {
    super(`Response returned an error code (${response.status}): ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.status = response.status;
  }
}

/** The request never got an answer (network error, aborted). */
export class FetchError extends Error {
  override name = 'FetchError';
  constructor(readonly cause: unknown) {
    super(`The request failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

const provide = async (p: Provider, name: string): Promise<Value> => (typeof p === 'function' ? p(name) : p);

export class Configuration {
  readonly client: Client;

  constructor(readonly configuration: ConfigurationParameters = {}) {
    const { basePath = '', headers, accessToken, apiKey, credentials, fetchApi } = configuration;
    this.client = createClient({
      baseUrl: basePath.replace(/\/+$/, ''),
      headers,
      credentials,
      fetch: fetchApi,
      throwOnError: true,
      // Called for each security scheme of an operation until one gives a value; a header
      // the caller set (headers.Authorization) wins over both.
      auth: (scheme) =>
        scheme.scheme === 'bearer' ? provide(accessToken, 'jwtAuth')
          : scheme.type === 'apiKey' && scheme.in !== 'cookie' ? provide(apiKey, scheme.name ?? 'Authorization')
            : undefined,
    });
    this.client.interceptors.error.use((body, response) => {
      if (!response) return new FetchError(body);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      return new ResponseError(new Response(text, { status: response.status, statusText: response.statusText,
        headers: response.headers }), body);
    });
  }

  get basePath(): string {
    return this.configuration.basePath ?? '';
  }
}

/* Request objects under typescript-fetch's names: { employee } for { employeeWritable }. */
type Renamed<P> = { [K in keyof P as K extends `${infer Base}Writable` ? Base : K]: P[K] };
/* Every call throws on failure, so a settled call always holds the data. */
type Settled<R> = Promise<Exclude<Awaited<R>, undefined>>;
type CompatMethod<F> = F extends (parameters: infer P, options?: infer O) => infer R
  ? undefined extends P
    ? (parameters?: Renamed<NonNullable<P>>, options?: O) => Settled<R>
    : (parameters: Renamed<P>, options?: O) => Settled<R>
  : F;
export type CompatApi<T> = { [M in keyof T]: CompatMethod<T[M]> };

type GeneratedApi = abstract new (args?: { client?: Client }) => object;

/**
 * The generated class `Base` as typescript-fetch has it: `new PegasusApi(configuration?)`.
 * Methods that take a request object (two parameters in the generated code) also accept each
 * body under its typescript-fetch name; the generated code drops keys it does not know, so
 * both spellings are passed on.
 */
export function compatApi<T extends GeneratedApi>(Base: T) {
  const methods = Object.getOwnPropertyNames(Base.prototype).filter(
    (m) => m !== 'constructor' && typeof Base.prototype[m] === 'function' && Base.prototype[m].length === 2);
  abstract class Adapted extends (Base as unknown as new (args?: { client?: Client }) => object) {
    constructor(configuration?: Configuration) {
      super({ client: (configuration ?? new Configuration()).client });
      for (const m of methods) {
        const call = Base.prototype[m] as (p: unknown, o: unknown) => unknown;
        Object.defineProperty(this, m, { value: (p: unknown, o: unknown) => call.call(this, alias(p), o) });
      }
    }
  }
  return Adapted as unknown as new (configuration?: Configuration) => CompatApi<InstanceType<T>>;
}

function alias(parameters: unknown): unknown {
  if (parameters === null || typeof parameters !== 'object') return parameters;
  const out: Record<string, unknown> = { ...parameters };
  for (const [k, v] of Object.entries(parameters)) if (!k.endsWith('Writable') && !(`${k}Writable` in out)) out[`${k}Writable`] = v;
  return out;
}
