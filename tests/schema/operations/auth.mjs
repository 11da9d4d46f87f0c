// Auth operations.
// See ../operations.mjs for the contract of an entry.
import { createHmac } from 'node:crypto';

// RFC 6238 as an authenticator app computes it (SHA-1, 30 s, 6 digits), from the base32 secret.
function totp(base32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[19] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 30000);

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

  // Two-factor: a second account enrols, logs in through both steps, and turns it off again.
  api_auth_2fa_retrieve: async (c, state) => {
    state.otpEmail = `schema-otp-${process.pid}@example.com`;
    const r = await c.call('api_auth_register_create', {
      body: { email: state.otpEmail, password1: state.password, password2: state.password }, expect: 201,
    });
    state.otpAccess = r.body.access;
    const s = await c.call('api_auth_2fa_retrieve', { auth: { bearer: state.otpAccess }, expect: 200 });
    if (s.body.enabled !== false) c.fail(`2fa enabled before setup: ${s.text}`);
  },

  api_auth_2fa_setup_create: async (c, state) => {
    const r = await c.call('api_auth_2fa_setup_create', { auth: { bearer: state.otpAccess }, expect: 200 });
    state.otpSecret = r.body.secret;
    if (!r.body.otpauth_url?.startsWith('otpauth://totp/')) c.fail(`otpauth_url ${r.body.otpauth_url}`);
  },

  api_auth_2fa_confirm_create: async (c, state) => {
    const step = stepNow();
    const wrong = String((Number(totp(state.otpSecret, step)) + 1) % 1000000).padStart(6, '0');
    await c.call('api_auth_2fa_confirm_create', { auth: { bearer: state.otpAccess }, body: { otp: wrong }, expect: 400 });
    const r = await c.call('api_auth_2fa_confirm_create', {
      auth: { bearer: state.otpAccess }, body: { otp: totp(state.otpSecret, step) }, expect: 200,
    });
    if (r.body.recovery_codes?.length !== 10) c.fail(`recovery codes ${r.text}`);
    state.otpStep = step;
    // on now: a second setup is refused
    await c.call('api_auth_2fa_setup_create', { auth: { bearer: state.otpAccess }, expect: 400 });
  },

  api_auth_verify_otp_create: async (c, state) => {
    const login = await c.call('api_auth_login_create', { body: { email: state.otpEmail, password: state.password }, expect: 200 });
    if (login.body.status !== 'otp_required' || login.body.jwt) c.fail(`login of a 2FA user: ${login.text}`);
    const temp = login.body.temp_otp_token;
    // the confirming code was used: a replay
    const replay = await c.call('api_auth_verify_otp_create', {
      body: { temp_otp_token: temp, otp: totp(state.otpSecret, state.otpStep) }, expect: 400,
    });
    if (replay.body.status !== 'invalid_otp') c.fail(`replay: ${replay.text}`);
    const unknown = await c.call('api_auth_verify_otp_create', {
      body: { temp_otp_token: '00000000-0000-4000-8000-000000000000', otp: '123456' }, expect: 401,
    });
    if (unknown.body.status !== 'token_expired') c.fail(`unknown token: ${unknown.text}`);
    const r = await c.call('api_auth_verify_otp_create', {
      body: { temp_otp_token: temp, otp: totp(state.otpSecret, state.otpStep + 1) }, expect: 200,
    });
    state.otpAccess = r.body.access;
  },

  api_auth_2fa_disable_create: async (c, state) => {
    await c.call('api_auth_2fa_disable_create', { auth: { bearer: state.otpAccess }, body: {}, expect: 400 });
    await c.call('api_auth_2fa_disable_create', {
      auth: { bearer: state.otpAccess }, body: { password: 'wrong-password-1' }, expect: 400,
    });
    await c.call('api_auth_2fa_disable_create', { auth: { bearer: state.otpAccess }, body: { password: state.password }, expect: 200 });
    const login = await c.call('api_auth_login_create', { body: { email: state.otpEmail, password: state.password }, expect: 200 });
    if (login.body.status !== 'success') c.fail(`login after disabling 2FA: ${login.text}`);
  },
};
