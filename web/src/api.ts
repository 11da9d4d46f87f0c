/*
 * The generated client (../api-client) as the pages use it: same origin, the session cookie
 * the browser keeps, and the csrftoken cookie's value as X-CSRFToken on every request (the
 * gateway checks it on unsafe methods). A new Configuration per call picks up the token the
 * last login set.
 */
import { ApiApi, Configuration, PegasusApi, ResponseError } from 'api-client';

function cookie(name: string): string {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : '';
}

export function config(): Configuration {
  return new Configuration({ basePath: '', headers: { 'X-CSRFToken': cookie('csrftoken') }, credentials: 'same-origin' });
}

export const api = () => new ApiApi(config());
export const pegasus = () => new PegasusApi(config());

/** A DRF error body as field => messages; `detail` and `non_field_errors` for the whole form. */
export type FieldErrors = Record<string, string[]>;

export function fieldErrors(err: unknown): FieldErrors {
  if (err instanceof ResponseError) {
    const body = err.body;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const out: FieldErrors = {};
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        if (k === 'status' || k === 'code') continue;
        out[k] = Array.isArray(v) ? v.map(String) : [String(v)];
      }
      if (Object.keys(out).length) return out;
    }
    return { detail: [`The server answered ${err.status}.`] };
  }
  return { detail: [err instanceof Error ? err.message : String(err)] };
}

export const isStatus = (err: unknown, status: number) => err instanceof ResponseError && err.status === status;
export const errorStatus = (err: unknown): string | undefined => {
  if (!(err instanceof ResponseError) || !err.body || typeof err.body !== 'object') return undefined;
  const s = (err.body as Record<string, unknown>).status;
  return typeof s === 'string' ? s : undefined;
};
