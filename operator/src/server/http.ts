// The operator's own HTTP endpoints: /healthz (alive), /readyz (caches synced), /metrics (Prometheus).
import express, { type Express } from "express";
import type { Server } from "node:http";
import type { Registry } from "prom-client";

export interface HttpOptions {
  registry: Registry;
  ready: () => boolean;
}

export function createHttpApp(o: HttpOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => void res.type("text/plain").send("ok\n"));
  app.get("/readyz", (_req, res) => {
    const ready = o.ready();
    res
      .status(ready ? 200 : 503)
      .type("text/plain")
      .send(ready ? "ok\n" : "informer caches are not synced\n");
  });
  app.get("/metrics", async (_req, res) => {
    res.type(o.registry.contentType).send(await o.registry.metrics());
  });
  return app;
}

export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.on("error", reject);
  });
}
