/*
 * The apibus demo front end. Hash routes (#/login, #/employees, #/profile), because the
 * gateway serves static files and has no fallback for unknown paths.
 */
import './style.css';
import { api } from './api';
import { loginPage, logout, otpPage, signupPage } from './auth';
import { h } from './dom';
import { employeesPage } from './employees';
import { profilePage } from './profile';
import { state } from './state';

const pages: Record<string, { render: () => HTMLElement; signedIn: boolean }> = {
  '#/login': { render: loginPage, signedIn: false },
  '#/login/otp': { render: otpPage, signedIn: false },
  '#/signup': { render: signupPage, signedIn: false },
  '#/employees': { render: employeesPage, signedIn: true },
  '#/profile': { render: profilePage, signedIn: true },
};

const app = document.getElementById('app')!;
const nav = document.getElementById('nav')!;

function renderNav(route: string): void {
  const link = (href: string, text: string) => h('a', { href, class: route === href ? 'active' : '' }, text);
  nav.replaceChildren(...(state.user
    ? [link('#/employees', 'Employees'), link('#/profile', 'Profile'),
      h('span', { class: 'who', id: 'who' }, state.user.email ?? ''),
      h('button', { type: 'button', class: 'link', id: 'logout', onclick: () => void logout() }, 'Log out')]
    : [link('#/login', 'Log in'), link('#/signup', 'Sign up')]));
}

function route(): void {
  const path = location.hash.split('?')[0] || '#/employees';
  const page = pages[path];
  if (!page) return void (location.hash = state.user ? '#/employees' : '#/login');
  if (page.signedIn && !state.user) return void (location.hash = '#/login');
  if (!page.signedIn && state.user && path !== '#/signup') return void (location.hash = '#/employees');
  renderNav(path);
  app.replaceChildren(page.render());
  document.title = `${path.slice(2).split('/')[0].replace(/^./, (c) => c.toUpperCase())} · apibus`;
  state.flash = '';
}

async function start(): Promise<void> {
  try {
    state.user = await api().apiAuthUserRetrieve(); // the session cookie, if any
  } catch {
    state.user = null;
  }
  window.addEventListener('hashchange', route);
  route();
  document.body.dataset.ready = 'true';
}
void start();
