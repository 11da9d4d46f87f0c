/*
 * The profile page: who you are, and your API keys — create one (the whole key is shown this
 * once, with a copy button), list them, revoke one. Pegasus posts forms for this; apibus has
 * a JSON API (/api/keys/) and this page uses it through the generated client.
 */
import type { ApiKey, ApiKeyCreated, CustomUser } from 'api-client';
import { api, fieldErrors } from './api';
import { clearErrors, field, formError, h, showErrors } from './dom';
import { state } from './state';

const date = (iso?: string | null) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC' : '—');

function apiKeysCard(user: CustomUser): HTMLElement {
  const keysCard = h('section', { class: 'card', id: 'api-keys' }, h('h2', {}, 'API Keys'));
  const shown = h('div', { id: 'new-key-box' });
  const table = h('div', { id: 'key-list' });
  const nameInput = h('input', { name: 'name', id: 'key-name', maxlength: '50',
    value: `${user.get_display_name.slice(0, 40)} API Key` });
  const form = h('form', { id: 'key-form', novalidate: true }, formError(), field('Name', nameInput),
    h('button', { type: 'submit' }, 'New API Key'));

  const showKey = (created: ApiKeyCreated) => {
    const code = h('code', { id: 'new-key' }, created.key);
    const copied = h('span', { class: 'muted', id: 'copy-status' });
    const copy = h('button', { type: 'button', id: 'copy-key', class: 'secondary', onclick: async () => {
      try {
        await navigator.clipboard.writeText(created.key);
        copied.textContent = 'Copied.';
      } catch {
        getSelection()?.selectAllChildren(code); // no clipboard access: select it for Ctrl+C
        copied.textContent = 'Selected: press Ctrl+C to copy.';
      }
    } }, 'Copy');
    shown.replaceChildren(h('div', { class: 'new-key', role: 'status' },
      h('p', { class: 'warning' }, h('strong', {}, 'Save this key now. '),
        `It is shown only this once and cannot be recovered: "${created.name}" (${created.prefix}). `,
        'Send it as the header ', h('code', {}, 'Authorization: Api-Key <key>'), '.'),
      h('div', { class: 'key-row' }, code, copy, copied)));
  };

  const render = (keys: ApiKey[]) => {
    table.replaceChildren(keys.length === 0
      ? h('p', { class: 'muted', id: 'no-keys' }, "You haven't created any API keys yet. Create one below.")
      : h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ...['Prefix', 'Name', 'Created', 'Last used', 'Status', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...keys.map((k) => h('tr', { 'data-key-prefix': k.prefix, class: k.revoked ? 'revoked' : '' },
          h('td', {}, h('code', {}, k.prefix)), h('td', {}, k.name), h('td', {}, date(k.created)),
          h('td', {}, date(k.last_used)), h('td', { class: 'status' }, k.revoked ? 'Revoked' : 'Active'),
          h('td', { class: 'row-actions' }, k.revoked ? '' : h('button', { type: 'button', class: 'danger', 'data-action': 'revoke',
            onclick: async (e: Event) => {
              const b = e.currentTarget as HTMLButtonElement;
              b.disabled = true;
              try {
                await api().apiKeysRevokeCreate({ id: k.id });
                shown.replaceChildren(h('p', { class: 'flash', id: 'revoked-note' },
                  `API Key ${k.prefix} has been revoked. It can no longer be used to access the site.`));
                await refresh();
              } catch (err) {
                b.disabled = false;
                b.after(h('small', { class: 'error' }, fieldErrors(err).detail?.join(' ') ?? 'Could not revoke.'));
              }
            } }, 'Revoke')))))));
  };

  const refresh = async () => {
    try {
      render((await api().apiKeysList()).results);
    } catch (err) {
      table.replaceChildren(h('p', { class: 'form-error' }, fieldErrors(err).detail?.join(' ') ?? 'Could not load keys.'));
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      showKey(await api().apiKeysCreate({ apiKey: { name: nameInput.value } }));
      await refresh();
    } catch (err) {
      showErrors(form, fieldErrors(err));
    }
  });
  keysCard.append(shown, table, form);
  void refresh();
  return keysCard;
}

export function profilePage(): HTMLElement {
  const user = state.user!;
  return h('div', { class: 'page' },
    h('h1', {}, 'Profile'),
    h('section', { class: 'card', id: 'user-card' }, h('h2', {}, user.get_display_name),
      h('dl', {}, h('dt', {}, 'Email'), h('dd', { id: 'user-email' }, user.email ?? ''),
        h('dt', {}, 'Name'), h('dd', {}, [user.first_name, user.last_name].filter(Boolean).join(' ') || '—'))),
    apiKeysCard(user));
}
