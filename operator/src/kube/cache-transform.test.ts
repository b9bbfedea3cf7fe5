import { stripBookkeeping, trimPod } from "./cache-transform.ts";

const managedFields = [
  { manager: "kube-controller-manager", operation: "Update", fieldsV1: { "f:status": {} } },
];

describe("stripBookkeeping", () => {
  it("drops managedFields and kubectl's last-applied copy, and keeps every other field", () => {
    const obj = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "d",
        namespace: "ns",
        resourceVersion: "7",
        managedFields,
        labels: { a: "1" },
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}", keep: "me" },
      },
      spec: { replicas: 2 },
      status: { readyReplicas: 2 },
    };
    expect(stripBookkeeping(obj)).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "d",
        namespace: "ns",
        resourceVersion: "7",
        labels: { a: "1" },
        annotations: { keep: "me" },
      },
      spec: { replicas: 2 },
      status: { readyReplicas: 2 },
    });
    expect(obj.metadata.managedFields).toBe(managedFields); // the input is not modified
  });

  it("returns an object with nothing to strip as it is", () => {
    const obj = { metadata: { name: "s", annotations: { a: "b" } }, spec: {} };
    expect(stripBookkeeping(obj)).toBe(obj);
  });
});

describe("trimPod", () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-api-5d9c-x",
      namespace: "ns",
      uid: "u1",
      resourceVersion: "42",
      creationTimestamp: "2026-01-01T00:00:00Z",
      labels: { "topo.dev/topology": "web", "topo.dev/node": "api" },
      annotations: { "topo.dev/config-hash": "h1" },
      ownerReferences: [{ kind: "ReplicaSet", name: "web-api-5d9c", uid: "rs" }],
      managedFields,
    },
    spec: { containers: [{ name: "api", image: "api:2", env: [{ name: "X", value: "y" }] }], nodeName: "n1" },
    status: {
      phase: "Pending",
      conditions: [
        { type: "Initialized", status: "True", lastTransitionTime: "2026-01-01T00:00:01Z" },
        { type: "Ready", status: "False", reason: "ContainersNotReady", lastProbeTime: null },
        { type: "PodScheduled", status: "True" },
      ],
      podIP: "10.0.0.1",
      containerStatuses: [
        {
          name: "api",
          ready: false,
          restartCount: 3,
          image: "api:2",
          imageID: "",
          lastState: { terminated: { exitCode: 1 } },
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
        },
      ],
    },
  };

  it("keeps identity, labels, annotations, owners, age, its node, Ready and PodScheduled, why each container waits, and nothing else", () => {
    expect(trimPod(pod)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-api-5d9c-x",
        namespace: "ns",
        uid: "u1",
        resourceVersion: "42",
        creationTimestamp: "2026-01-01T00:00:00Z",
        labels: pod.metadata.labels,
        annotations: pod.metadata.annotations,
        ownerReferences: pod.metadata.ownerReferences,
      },
      spec: { nodeName: "n1" },
      status: {
        phase: "Pending",
        conditions: [
          { type: "Ready", status: "False", reason: "ContainersNotReady" },
          { type: "PodScheduled", status: "True" },
        ],
        containerStatuses: [
          {
            name: "api",
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
          },
        ],
      },
    });
  });

  it("trims a pod that has no status yet", () => {
    const { status: _none, ...fresh } = pod;
    expect(trimPod(fresh)).not.toHaveProperty("status");
    expect(trimPod(fresh).metadata).toMatchObject({ name: "web-api-5d9c-x", resourceVersion: "42" });
  });
});
