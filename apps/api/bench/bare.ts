// The latency floor for the benchmark: a bare node:http server (no framework, no logging, no hooks) under the
// same generator, rate and Node as the service: whatever the service's p99 adds above this one's is the service.
import http from 'node:http';

const body = JSON.stringify({ hello: 'world' });
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 3998), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
