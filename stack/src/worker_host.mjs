// The local host of the `workflow-sync` worker: Cloudflare's Miniflare (npm), which runs the
// built bundle in workerd and implements Queues, so the cron's fan-out and the queue consumer
// run locally through the same code as on Cloudflare. Written by stack/src/worker.rs beside its
// settings file and run with `node worker-host.mjs <settings.json>`:
// - the worker on 127.0.0.1:<port>;
// - the cron hook on 127.0.0.1:<cronPort>: `GET /__scheduled?cron=<expr>` with
//   `Authorization: Bearer <service-role key>` fires the worker's `scheduled` handler (the token
//   keeps anything else on this machine that can send a GET, such as a browser page or an n8n URL
//   someone entered, from firing service-role runs).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const settings = JSON.parse(readFileSync(process.argv[2], "utf8"));
// The project's node_modules, wherever this file was written.
const require = createRequire(settings.nodeModules + "/");
const { Miniflare, Log, LogLevel } = await import(pathToFileURL(require.resolve("miniflare")).href);

// The cron hook listens first: if its port is taken, the host exits before the worker's port
// opens, so whoever started it sees the failure (and can retry on other ports) instead of a
// worker that is up while its cron hook belongs to another process.
let main;
const hook = createServer(async (request, response) => {
  const reply = (status, body) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body) + "\n");
  };
  const url = new URL(request.url, "http://127.0.0.1");
  if (request.method !== "GET" || url.pathname !== "/__scheduled") {
    return reply(404, { error: "use GET /__scheduled?cron=<expression>" });
  }
  if (request.headers.authorization !== `Bearer ${settings.cronToken}`) {
    return reply(401, { error: "the cron hook needs Authorization: Bearer <service-role key>" });
  }
  const cron = url.searchParams.get("cron") || "*/15 * * * *";
  try {
    const result = await main.scheduled({ cron, scheduledTime: new Date() });
    reply(result.outcome === "ok" ? 200 : 500, { cron, outcome: result.outcome });
  } catch (error) {
    reply(500, { cron, outcome: "exception", error: String(error) });
  }
});
await new Promise((listening, failed) => {
  hook.once("error", failed);
  hook.listen(settings.cronPort, "127.0.0.1", listening);
});

const queue = settings.queue;
const mf = new Miniflare({
  host: "127.0.0.1",
  port: settings.port,
  log: new Log(LogLevel.INFO),
  // Miniflare would otherwise download Cloudflare's request metadata from the internet.
  cf: false,
  workers: [
    {
      name: "main",
      modulesRoot: settings.bundleDir,
      modules: [
        { type: "ESModule", path: `${settings.bundleDir}/index.js` },
        { type: "CompiledWasm", path: `${settings.bundleDir}/index_bg.wasm` },
      ],
      compatibilityDate: settings.compatibilityDate,
      bindings: settings.bindings,
      queueProducers: { [queue.binding]: { queueName: queue.name } },
      queueConsumers: {
        [queue.name]: {
          maxBatchSize: queue.maxBatchSize,
          maxBatchTimeout: queue.maxBatchTimeout,
          maxRetries: queue.maxRetries,
        },
      },
      // workerd's own filter on the addresses the worker's fetches resolve to (the worker
      // cannot see them): public always, loopback for PostgREST, private ranges only when the
      // operator allows them.
      outboundService: { network: { allow: settings.networkAllow } },
    },
  ],
});
await mf.ready;
main = await mf.getWorker("main");
console.log(`worker host: ready on ${settings.port} (pid ${process.pid})`);

const stop = async () => {
  hook.close();
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
