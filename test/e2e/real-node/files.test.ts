// Files, for real: on the real node the kubelet mounts a node's ConfigMap items and its Secret's key at their
// paths with their modes, which a running container reads (stat and cat through kubectl exec).
import { request } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  kube,
  startOperator,
  topology,
  waitForPhase,
  type OperatorProcess,
} from "../operator/harness.ts";
import { createRealNodeNamespace, requireRealNode } from "../support/real-node.ts";
import { execIn, readyPod, suffix } from "./helpers.ts";

const NS = `rn-files-${suffix()}`;
const TOKEN = `tok-${suffix()}`;

describe("files on the real node", () => {
  let op: OperatorProcess;
  beforeAll(async () => {
    await requireRealNode();
    await createRealNodeNamespace(NS);
    await request(kube().kc, "POST", `/api/v1/namespaces/${NS}/secrets`, {
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "broker" }, stringData: { token: TOKEN } },
    });
    op = await startOperator({ namespace: NS });
  });
  afterAll(async () => {
    if (expect.getState().assertionCalls !== expect.getState().numPassingAsserts)
      process.stderr.write(`--- operator logs ---\n${op?.logs().slice(-6000)}\n`);
    await op?.stop();
    await request(kube().kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
  });

  it("a container reads each file at its path, with its mode, the secret's value from the Secret", async () => {
    await applyTopology(
      topology(NS, "app", {
        nodes: [
          {
            name: "reader",
            image: "topo/busybox:local",
            command: ["sleep", "3600"],
            files: [
              { path: "/etc/app/app.conf", content: "hello from the release\n" },
              { path: "/etc/app/extra.conf", content: "extra\n", mode: "0640" },
              { path: "/run/secrets/broker-token", secretRef: { name: "broker", key: "token" } },
            ],
            health: {
              exec: { command: ["grep", "-q", "hello", "/etc/app/app.conf"] },
              interval: "1s",
              timeout: "1s",
            },
          },
        ],
      }),
    );
    await waitForPhase(NS, "app", "Ready", 180_000);
    const pod = (await readyPod(NS, "app", "reader")).metadata!.name!;
    const stat = await execIn(
      NS,
      pod,
      "stat",
      "-L",
      "-c",
      "%a %n",
      "/etc/app/app.conf",
      "/etc/app/extra.conf",
      "/run/secrets/broker-token",
    );
    expect(stat.out).toBe("444 /etc/app/app.conf\n640 /etc/app/extra.conf\n400 /run/secrets/broker-token\n");
    const cat = await execIn(
      NS,
      pod,
      "cat",
      "/etc/app/app.conf",
      "/etc/app/extra.conf",
      "/run/secrets/broker-token",
    );
    expect(cat.out).toBe(`hello from the release\nextra\n${TOKEN}`);
  });
});
