// The reference grid's server for bench:web (`reference-grid.ts` starts it as a process of its own):
// serves the RevoGrid page, RevoGrid's files and the data, and relays each edit the benchmark sends
// on `/ref/edits` to every page connected on `/ref/ws`, as Accord's server relays an editor's update
// to a viewer (without judging or storing it). Prints `listening on <port>`.
// Run: node test/bench/reference-relay.ts <data.json>
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REVOGRID_DIR = path.join(ROOT, 'test/node_modules/@revolist/revogrid/dist/revo-grid');
const body = fs.readFileSync(process.argv[2]!, 'utf8');

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Reference grid</title>
<script type="module" src="/revogrid/revo-grid.esm.js"></script>
<style>html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; } revo-grid { display: block; height: 100vh; }</style>
</head><body><revo-grid id="grid" range resize></revo-grid>
<script type="module">
  const grid = document.getElementById('grid');
  const data = await (await fetch('/ref/data.json')).json();
  await customElements.whenDefined('revo-grid');
  grid.columns = data.columns;
  grid.source = data.rows;
  window.__grid = grid;
  const props = data.columns.filter((c) => !c.pin).map((c) => c.prop);
  const socket = new WebSocket('ws://' + location.host + '/ref/ws');
  socket.onmessage = (event) => {
    const { row, prop, value } = JSON.parse(event.data);
    grid.setDataAt({ row, col: props.indexOf(prop), val: value });
  };
</script></body></html>`;

const server = http.createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname === '/ref/' || url.pathname === '/ref') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  } else if (url.pathname === '/ref/data.json') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  } else if (url.pathname.startsWith('/revogrid/')) {
    const file = path.join(REVOGRID_DIR, path.basename(url.pathname));
    if (!fs.existsSync(file)) return void response.writeHead(404).end();
    const type = file.endsWith('.css') ? 'text/css' : 'text/javascript';
    response.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
  } else response.writeHead(404).end();
});
const pages = new Set<WebSocket>();
const viewers = new WebSocketServer({ noServer: true });
const editors = new WebSocketServer({ noServer: true });
server.on('upgrade', (request, socket, head) => {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  const target = pathname === '/ref/ws' ? viewers : pathname === '/ref/edits' ? editors : undefined;
  if (!target) return void socket.destroy();
  target.handleUpgrade(request, socket, head, (ws) => target.emit('connection', ws));
});
viewers.on('connection', (socket: WebSocket) => {
  pages.add(socket);
  socket.on('close', () => pages.delete(socket));
});
editors.on('connection', (socket: WebSocket) => {
  socket.on('message', (data, isBinary) => {
    for (const page of pages) page.send(data, { binary: isBinary });
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  for (const socket of [...viewers.clients, ...editors.clients]) socket.terminate();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
