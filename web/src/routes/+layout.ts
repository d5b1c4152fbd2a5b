// A client-only SPA: every page needs the browser's session cookie and a live WebSocket.
export const ssr = false;
export const prerender = false;
