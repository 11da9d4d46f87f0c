// API keys operations: user 3 makes a key, uses it, renames and revokes it; user 4 must not
// see it. See ../operations.mjs for the contract of an entry.

export default {
  api_keys_create: async (c, state) => {
    const r = await c.call('api_keys_create', { auth: c.user(3), body: { name: 'conformance', scope: 'read' }, expect: 201 });
    state.key = r.body.key;
    state.keyId = r.body.id;
    if (!/^[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$/.test(state.key ?? '')) c.fail(`api_keys_create: key ${state.key}`);
    await c.call('api_keys_create', { auth: c.user(3), body: { scope: 'everything' }, expect: 400 });
    // the key acts as user 3, read-only
    await c.call('employees_list', { auth: { apiKey: state.key }, expect: 200 });
    await c.call('employees_create', {
      auth: { apiKey: state.key }, body: { name: 'Ro', department: 'hr', salary: 1 }, expect: 403,
    });
  },

  api_keys_list: async (c, state) => {
    const r = await c.call('api_keys_list', { auth: c.user(3), expect: 200 });
    if (r.body.count !== 1 || JSON.stringify(r.body).includes(state.key.slice(9))) c.fail(`api_keys_list: ${r.text}`);
    await c.call('api_keys_list', { auth: c.user(3), query: { page: '9' }, expect: 404 });
    await c.call('api_keys_list', { auth: { apiKey: state.key }, expect: 403 });
  },

  api_keys_retrieve: async (c, state) => {
    await c.call('api_keys_retrieve', { auth: c.user(3), params: { id: state.keyId }, expect: 200 });
    await c.call('api_keys_retrieve', { auth: c.user(4), params: { id: state.keyId }, expect: 404 });
  },

  api_keys_partial_update: async (c, state) => {
    await c.call('api_keys_partial_update', { auth: c.user(3), params: { id: state.keyId }, body: { name: 'renamed' }, expect: 200 });
    await c.call('api_keys_partial_update', { auth: c.user(3), params: { id: state.keyId }, body: { name: '' }, expect: 400 });
  },

  api_keys_revoke_create: async (c, state) => {
    await c.call('api_keys_revoke_create', { auth: c.user(4), params: { id: state.keyId }, expect: 404 });
    const r = await c.call('api_keys_revoke_create', { auth: c.user(3), params: { id: state.keyId }, expect: 200 });
    if (r.body.revoked !== true) c.fail(`api_keys_revoke_create: ${r.text}`);
    await c.call('employees_list', { auth: { apiKey: state.key }, expect: 401 });
  },
};
