/** The baseline: a bare Koa server answering a small JSON body, run as its own process. */
import Koa from 'koa';

const app = new Koa();
app.use((ctx) => {
  ctx.body = { status_code: 0, status_msg: 'success' };
});
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
