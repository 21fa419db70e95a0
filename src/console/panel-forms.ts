/**
 * The panels page's forms, read into the inputs of src/panels' use cases (the same ones
 * `keywarden panels` runs). Only the form's shape is checked here: names, URLs, certificates and the
 * panel itself are checked by src/panels. What is echoed back into a page after a refusal never
 * includes the password or the token.
 */
import type { PanelAuth } from '../db/index.ts';
import type { PanelChange, PanelDraft } from '../panels/index.ts';

/** What the add and edit forms show again after a refusal: never a password or token. */
export interface PanelFormValues {
  readonly name: string;
  readonly url: string;
  readonly username: string;
  readonly caPem: string;
  readonly publicHost: string;
  /** add: checkbox; edit: `keep`, `verify` or `skip`. */
  readonly tls: string;
  readonly isSuspended: boolean;
  readonly isUnchecked: boolean;
}

/** A form read into a use case's input, or the one-line reason it cannot be. */
export type PanelFormResult<T> =
  | { readonly ok: true; readonly value: T; readonly values: PanelFormValues }
  | { readonly ok: false; readonly message: string; readonly values: PanelFormValues };

const field = (form: URLSearchParams, name: string): string => form.get(name)?.trim() ?? '';

function valuesOf(form: URLSearchParams): PanelFormValues {
  return {
    name: field(form, 'name'),
    url: field(form, 'url'),
    username: field(form, 'username'),
    caPem: field(form, 'ca_pem'),
    publicHost: field(form, 'public_host'),
    tls: field(form, 'tls') || (form.get('tls_skip_verify') === 'on' ? 'on' : ''),
    isSuspended: form.get('suspended') === 'on',
    isUnchecked: form.get('no_check') === 'on',
  };
}

/** Credentials from the form: a username and password, or a token; undefined when none is given. */
function authOf(
  form: URLSearchParams,
): { ok: true; auth: PanelAuth | undefined } | { ok: false; message: string } {
  const username = field(form, 'username');
  // Passwords and tokens are taken as typed: spaces may be part of them.
  const password = form.get('password') ?? '';
  const token = form.get('token') ?? '';
  if (username !== '' && token !== '') {
    return { ok: false, message: 'give a username and password, or a token, not both' };
  }
  if (username !== '') {
    return password === ''
      ? { ok: false, message: 'a password is required with the username' }
      : { ok: true, auth: { kind: 'password', username, password } };
  }
  if (password !== '') {
    return { ok: false, message: 'a password needs a username' };
  }
  return { ok: true, auth: token === '' ? undefined : { kind: 'token', token } };
}

/** Reads the add form into a draft for `addCheckedPanel`. */
export function readAddForm(form: URLSearchParams): PanelFormResult<PanelDraft> {
  const values = valuesOf(form);
  const auth = authOf(form);
  if (!auth.ok) {
    return { ok: false, message: auth.message, values };
  }
  if (auth.auth === undefined) {
    return { ok: false, message: 'give a username and password, or a token', values };
  }
  if (values.url === '') {
    return { ok: false, message: 'the URL is required (the panel URL with its web base path)', values };
  }
  return {
    ok: true,
    values,
    value: {
      name: values.name,
      url: values.url,
      auth: auth.auth,
      ...(values.caPem === '' ? {} : { caPem: `${values.caPem}\n` }),
      ...(values.publicHost === '' ? {} : { publicHost: values.publicHost }),
      tlsSkipVerify: form.get('tls_skip_verify') === 'on',
      suspended: values.isSuspended,
      skipCheck: values.isUnchecked,
    },
  };
}

/** Reads the edit form into a change for `updateSavedPanel`; blank fields keep what is saved. */
export function readEditForm(form: URLSearchParams): PanelFormResult<PanelChange> {
  const values = valuesOf(form);
  const auth = authOf(form);
  if (!auth.ok) {
    return { ok: false, message: auth.message, values };
  }
  const tls = values.tls === 'skip' ? true : values.tls === 'verify' ? false : undefined;
  return {
    ok: true,
    values,
    value: {
      ...(values.url === '' ? {} : { url: values.url }),
      ...(auth.auth === undefined ? {} : { auth: auth.auth }),
      ...(values.caPem === '' ? {} : { caPem: `${values.caPem}\n` }),
      ...(tls === undefined ? {} : { tlsSkipVerify: tls }),
      skipCheck: values.isUnchecked,
    },
  };
}
