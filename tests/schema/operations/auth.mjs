// Auth operations.
// See ../operations.mjs for the contract of an entry.

export default {
  // Auth: one account goes through register → login → refresh/verify → profile → password
  // change → logout. The password satisfies the rules (length, not common, not the e-mail).
  api_auth_register_create: async (c, state) => {
    state.email = `schema-${process.pid}@example.com`;
    state.password = 'Conformance-Horse-42';
    const r = await c.call('api_auth_register_create', {
      body: { email: state.email, password1: state.password, password2: state.password }, expect: 201,
    });
    state.access = r.body.access;
    await c.call('api_auth_register_create', { body: { email: 'not-an-email', password1: 'x', password2: 'y' }, expect: 400 });
  },

  api_auth_login_create: async (c, state) => {
    const r = await c.call('api_auth_login_create', { body: { email: state.email, password: state.password }, expect: 200 });
    if (r.body.status !== 'success') c.fail(`login status ${r.body.status}`);
    state.access = r.body.jwt.access;
    state.refresh = r.body.jwt.refresh;
    await c.call('api_auth_login_create', { body: { email: state.email, password: 'wrong-password-1' }, expect: 400 });
  },

  api_auth_token_refresh_create: async (c, state) => {
    await c.call('api_auth_token_refresh_create', { body: { refresh: state.refresh }, expect: 200 });
    await c.call('api_auth_token_refresh_create', { body: { refresh: 'garbage' }, expect: 401 });
  },

  api_auth_token_verify_create: async (c, state) => {
    await c.call('api_auth_token_verify_create', { body: { token: state.access }, expect: 200 });
    await c.call('api_auth_token_verify_create', { body: { token: 'garbage' }, expect: 401 });
  },

  api_auth_user_retrieve: async (c, state) => {
    const r = await c.call('api_auth_user_retrieve', { auth: { bearer: state.access }, expect: 200 });
    if (r.body.email !== state.email) c.fail(`user email ${r.body.email}`);
  },

  api_auth_user_update: async (c, state) => {
    await c.call('api_auth_user_update', {
      auth: { bearer: state.access }, body: { first_name: 'Ada', last_name: 'Lovelace', email: state.email }, expect: 200,
    });
  },

  api_auth_user_partial_update: async (c, state) => {
    await c.call('api_auth_user_partial_update', { auth: { bearer: state.access }, body: { first_name: 'Augusta' }, expect: 200 });
    await c.call('api_auth_user_partial_update', { auth: { bearer: state.access }, body: { email: 'nope' }, expect: 400 });
  },

  api_auth_password_change_create: async (c, state) => {
    const next = 'Conformance-Horse-43';
    await c.call('api_auth_password_change_create', {
      auth: { bearer: state.access }, body: { old_password: 'wrong-password-1', new_password1: next, new_password2: next }, expect: 400,
    });
    await c.call('api_auth_password_change_create', {
      auth: { bearer: state.access }, body: { old_password: state.password, new_password1: next, new_password2: next }, expect: 200,
    });
    /* the change voids earlier tokens: log in again for the operations that follow */
    const r = await c.call('api_auth_login_create', { body: { email: state.email, password: next }, expect: 200 });
    state.access = r.body.jwt.access;
    state.refresh = r.body.jwt.refresh;
  },

  api_auth_logout_create: async (c, state) => {
    await c.call('api_auth_logout_create', { body: { refresh: state.refresh }, expect: 200 });
    await c.call('api_auth_token_refresh_create', { body: { refresh: state.refresh }, expect: 401 });
  },
};
