/**
 * What an operator types for a panel, validated before anything is written: the name (letters of any
 * script, digits, `-`, `_`, `.`; 1–64 characters) and the URL (http or https, with the web base path).
 * Messages are one line and never echo a secret: a URL is shown without its path.
 */

/** Letters and combining marks of any script, digits, `-`, `_`, `.`; 1 to 64 characters. */
const PANEL_NAME = /^[\p{L}\p{M}\p{Nd}_.-]{1,64}$/u;

/** The one-line reason a panel name is refused, or undefined when it is fine. */
export function panelNameProblem(name: string): string | undefined {
  if (name === '') {
    return 'the panel name is empty';
  }
  if (/^[\s\S]{65,}$/u.test(name)) {
    // Counted in code points, as PostgreSQL's char_length does.
    return 'the panel name is longer than 64 characters';
  }
  if (!PANEL_NAME.test(name)) {
    return `the panel name ${JSON.stringify(name)} may only hold letters, digits, "-", "_" and "."`;
  }
  return undefined;
}

/** A checked panel URL: the full base URL (ending in `/`), or the one-line reason it is refused. */
export type PanelUrlCheck =
  { readonly ok: true; readonly baseUrl: string } | { readonly ok: false; readonly problem: string };

/** Checks a panel URL: absolute, http or https, no credentials in it; adds the trailing `/`. */
export function checkPanelUrl(raw: string): PanelUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {
      ok: false,
      problem: 'the URL is not an absolute URL (e.g. https://vpn.example.com:2053/AbCdEf/)',
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      problem: `the URL scheme must be http or https, not ${url.protocol.replace(/:$/, '')}`,
    };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'the URL must not carry credentials: use --username/--password or --token' };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, problem: 'the URL must end at the web base path (no query or fragment)' };
  }
  const text = url.toString();
  return { ok: true, baseUrl: text.endsWith('/') ? text : `${text}/` };
}

/**
 * A panel URL fit to print: scheme, host and port, with the web base path (a secret: anyone who knows
 * it can reach the login page) replaced by `/…/`.
 */
export function displayPanelUrl(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '/' : '/…/'}`;
  } catch {
    return '(invalid URL)';
  }
}
