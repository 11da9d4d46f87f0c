/* Sign-up, log-in and its two-factor step, log-out. Logging in asks for a browser session. */
import { api, errorStatus, fieldErrors } from './api';
import { field, formError, h, showErrors, clearErrors } from './dom';
import { go, state } from './state';

const input = (name: string, type = 'text', extra: Record<string, string | boolean> = {}) =>
  h('input', { name, id: name, type, ...extra });

function page(title: string, form: HTMLFormElement, footer?: Node): HTMLElement {
  return h('section', { class: 'card narrow' }, h('h1', {}, title), state.flash ? h('p', { class: 'flash' }, state.flash) : null, form, footer ?? null);
}

async function startSession(email: string, password: string, form: HTMLElement): Promise<void> {
  const r = await api().apiAuthLoginCreate({ login: { email, password, session: true } });
  if (r.status === 'otp_required' && r.temp_otp_token) {
    state.otpToken = r.temp_otp_token;
    go('#/login/otp');
  } else if (r.jwt) {
    state.user = r.jwt.user;
    state.flash = '';
    go('#/employees');
  } else {
    showErrors(form, { detail: [r.detail] });
  }
}

export function loginPage(): HTMLElement {
  const form = h('form', { id: 'login-form', novalidate: true },
    formError(),
    field('Email', input('email', 'email', { autocomplete: 'username' })),
    field('Password', input('password', 'password', { autocomplete: 'current-password' })),
    h('button', { type: 'submit' }, 'Log in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    try {
      await startSession(String(data.get('email')), String(data.get('password')), form);
    } catch (err) {
      showErrors(form, fieldErrors(err));
    }
  });
  return page('Log in', form, h('p', {}, 'No account yet? ', h('a', { href: '#/signup' }, 'Sign up')));
}

export function otpPage(): HTMLElement {
  const form = h('form', { id: 'otp-form', novalidate: true },
    formError(),
    h('p', {}, 'Enter the 6-digit code from your authenticator app (or a recovery code).'),
    field('Code', input('otp', 'text', { inputmode: 'numeric', autocomplete: 'one-time-code' })),
    h('button', { type: 'submit' }, 'Verify'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!state.otpToken) {
      state.flash = 'Your login expired; please log in again.';
      return go('#/login');
    }
    try {
      const r = await api().apiAuthVerifyOtpCreate({ otpRequest: { temp_otp_token: state.otpToken, otp: String(new FormData(form).get('otp')).trim() } });
      state.user = r.user;
      state.otpToken = null;
      state.flash = '';
      go('#/employees');
    } catch (err) {
      // Pegasus's front end switches on `status`: token_expired goes back to the login page
      if (errorStatus(err) === 'token_expired') {
        state.otpToken = null;
        state.flash = 'Your login expired; please log in again.';
        return go('#/login');
      }
      const errors = fieldErrors(err);
      showErrors(form, errorStatus(err) === 'invalid_otp' ? { otp: errors.detail ?? ['Invalid code.'] } : errors);
    }
  });
  return page('Two-factor authentication', form);
}

export function signupPage(): HTMLElement {
  const form = h('form', { id: 'signup-form', novalidate: true },
    formError(),
    field('Email', input('email', 'email', { autocomplete: 'username' })),
    field('Password', input('password1', 'password', { autocomplete: 'new-password' })),
    field('Password again', input('password2', 'password', { autocomplete: 'new-password' })),
    h('button', { type: 'submit' }, 'Sign up'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const d = new FormData(form);
    const email = String(d.get('email')), password1 = String(d.get('password1')), password2 = String(d.get('password2'));
    try {
      await api().apiAuthRegisterCreate({ register: { email, password1, password2 } });
    } catch (err) {
      return showErrors(form, fieldErrors(err));
    }
    try {
      await startSession(email, password1, form);
    } catch (err) {
      showErrors(form, fieldErrors(err));
    }
  });
  return page('Sign up', form, h('p', {}, 'Have an account? ', h('a', { href: '#/login' }, 'Log in')));
}

export async function logout(): Promise<void> {
  try {
    await api().apiAuthLogoutCreate({ logout: {} });
  } catch {
    /* the session is forgotten here either way */
  }
  state.user = null;
  state.flash = 'You have been logged out.';
  go('#/login');
}
