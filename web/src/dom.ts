/* A few DOM helpers: elements from a tag, attributes and children; forms with per-field errors. */
import type { FieldErrors } from './api';

type Child = Node | string | null | undefined | false;
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const svg = (tag: string, attrs: Record<string, string | number> = {}, text?: string) => {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
};

/** A labelled input with the slot its errors go in (data-error-for="name"). */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), input,
    h('small', { class: 'error', 'data-error-for': input.name }));
}

/** Shows each field's messages next to it; the rest (detail, non_field_errors) at the form's top. */
export function showErrors(form: HTMLElement, errors: FieldErrors): void {
  clearErrors(form);
  const general: string[] = [];
  for (const [name, messages] of Object.entries(errors)) {
    const slot = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot) {
      slot.textContent = messages.join(' ');
      form.querySelector(`[name="${CSS.escape(name)}"]`)?.setAttribute('aria-invalid', 'true');
    } else general.push(...messages);
  }
  const top = form.querySelector<HTMLElement>('.form-error');
  if (top) top.textContent = general.join(' ');
}

export function clearErrors(form: HTMLElement): void {
  form.querySelectorAll<HTMLElement>('[data-error-for], .form-error').forEach((e) => (e.textContent = ''));
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

export const formError = () => h('p', { class: 'form-error', role: 'alert' });
