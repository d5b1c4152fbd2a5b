// Reference server for the sync benchmark: @y/websocket-server 0.1.1 as its own bin does it
// (src/server.js), with its built-in persistence: YPERSISTENCE=<dir> makes its utils store every
// update in LevelDB through y-leveldb. No auth, no checks. Usage (the benchmark starts it):
//   YPERSISTENCE=/tmp/dir node test/bench/sync/ywss-server.ts <port>
// Prints `READY <port>` once listening on 127.0.0.1.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import * as utils from '@y/websocket-server/utils';

if (!process.env.YPERSISTENCE) throw new Error('set YPERSISTENCE to a directory');

const port = Number(process.argv[2] ?? 0);
const wss = new WebSocketServer({ noServer: true });
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  response.end('okay');
});
wss.on('connection', (ws, request) => utils.setupWSConnection(ws, request));
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`READY ${typeof address === 'object' && address ? address.port : port}`);
});

// SIGTERM: stop accepting and wait for LevelDB writes already queued (y-leveldb serialises them).
process.on('SIGTERM', () => {
  server.close();
  for (const ws of wss.clients) ws.terminate();
  const provider = (utils.getPersistence() as { provider?: { tr?: Promise<unknown> } } | null)?.provider;
  void Promise.resolve(provider?.tr).finally(() => process.exit(0));
});
