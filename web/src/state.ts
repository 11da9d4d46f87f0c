/* What the pages share: the signed-in user and a pending two-factor login. */
import type { CustomUser } from 'api-client';

export const state: { user: CustomUser | null; otpToken: string | null; flash: string } = {
  user: null,
  otpToken: null,
  flash: '',
};

export const go = (route: string) => {
  if (location.hash === route) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = route;
};
