// Checks real traffic against the served OpenAPI document (STYLE.md §11, after Redis's reply
// schemas): every response's status must be documented for its operation, its body must match
// the documented schema, and at the end every operation of the document must have been called.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

export class Conformance {
  constructor(doc, baseUrl) {
    this.doc = doc;
    this.baseUrl = baseUrl;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ components: doc.components }, 'doc');
    this.ops = new Map(); // operationId => {method, path, op}
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) this.ops.set(op.operationId, { method, path, op });
    this.exercised = new Map(); // operationId => Set of statuses seen
    this.failures = [];
    this.validators = new Map();
  }

  // Calls an operation. opts: {params, query, body, headers, auth: {bearer}|{apiKey}|undefined,
  // expect: status}. Returns {status, headers, body (parsed JSON or text)}.
  async call(operationId, opts = {}) {
    const entry = this.ops.get(operationId);
    if (!entry) throw new Error(`operation ${operationId} is not in the document`);
    let path = entry.path.replace(/\{(\w+)\}/g, (_, k) => {
      if (!(k in (opts.params ?? {}))) throw new Error(`${operationId}: no value for path parameter ${k}`);
      return encodeURIComponent(opts.params[k]);
    });
    if (opts.query) path += '?' + new URLSearchParams(opts.query).toString();
    const headers = { ...(opts.headers ?? {}) };
    if (opts.auth?.bearer) headers.Authorization = `Bearer ${opts.auth.bearer}`;
    if (opts.auth?.apiKey) headers.Authorization = `Api-Key ${opts.auth.apiKey}`;
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(this.baseUrl + path, { method: entry.method.toUpperCase(), headers, body });
    const text = await res.text();
    const out = { status: res.status, headers: res.headers, text, body: text };
    this.check(operationId, entry, res, text, out);
    if (opts.expect !== undefined && res.status !== opts.expect)
      this.failures.push(`${operationId}: expected ${opts.expect}, got ${res.status} ${text.slice(0, 300)}`);
    return out;
  }

  check(operationId, entry, res, text, out) {
    const where = `${entry.method.toUpperCase()} ${entry.path} (${operationId}) -> ${res.status}`;
    if (!this.exercised.has(operationId)) this.exercised.set(operationId, new Set());
    this.exercised.get(operationId).add(res.status);
    const documented = entry.op.responses?.[String(res.status)] ?? entry.op.responses?.default;
    if (!documented) {
      this.failures.push(`${where}: status not documented (documented: ${Object.keys(entry.op.responses)})`);
      return;
    }
    const content = documented.content;
    if (!content) {
      if (text.length !== 0) this.failures.push(`${where}: documented without a body, got ${text.slice(0, 200)}`);
      return;
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    const media = content[type];
    if (!media) {
      this.failures.push(`${where}: content type ${type} not documented (${Object.keys(content)})`);
      return;
    }
    try {
      out.body = JSON.parse(text);
    } catch {
      this.failures.push(`${where}: body is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    const key = JSON.stringify(media.schema);
    if (!this.validators.has(key)) this.validators.set(key, this.ajv.compile(this.rebase(media.schema)));
    const validate = this.validators.get(key);
    if (!validate(out.body))
      this.failures.push(`${where}: body does not match the schema: ${this.ajv.errorsText(validate.errors)}\n  ${text.slice(0, 300)}`);
  }

  // A schema from the document, with its local $refs pointed at the registered document.
  rebase(schema) {
    return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
  }

  // Operations of the document that no call reached.
  unexercised() {
    return [...this.ops.keys()].filter((id) => !this.exercised.has(id));
  }
}
