// One entry per operation of the served document: how the conformance test exercises it.
// The test fails for any operation of the document without an entry here, so a service that
// adds a route adds its example in the same change. Entries run in this order and share
// `state`; each may call any operation (c.call) and must leave the data usable for the next.
//
// c.call(operationId, {params, query, body, auth, expect}) checks the response against the
// document; c.user(n) is {bearer: <access token of user n>}. After the table, every operation
// with security is also called without credentials (its 401 must be documented).

// Each service keeps its entries in operations/<service>.mjs; they run in the order below.
import health from './operations/health.mjs';
import employees from './operations/employees.mjs';
import auth from './operations/auth.mjs';
import keys from './operations/keys.mjs';

export const operations = { ...health, ...employees, ...auth, ...keys };
