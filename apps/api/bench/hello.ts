// The baseline for the benchmark: a bare Fastify route, same framework and Node, no logging, no hooks.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
app.listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' }).then(
  () => process.stdout.write('listening\n'),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
