/**
 * Same-origin check for state-changing requests and socket upgrades (CSRF and cross-site
 * WebSocket hijacking). A browser always sends Origin on these; a request without Origin and
 * without Sec-Fetch-Site comes from a script, which cannot ride on a victim's cookies.
 */
export function isAllowedOrigin(
  headers: { origin?: string | undefined; host?: string | undefined; secFetchSite?: string | undefined },
  allowedOrigins: readonly string[],
): boolean {
  const { origin, host, secFetchSite } = headers;
  if (origin === undefined || origin === '') {
    return secFetchSite === undefined || secFetchSite === 'same-origin' || secFetchSite === 'none';
  }
  if (allowedOrigins.includes(origin)) return true;
  if (!host || !URL.canParse(origin)) return false;
  return new URL(origin).host === host;
}
