import { extractFields, extractOwned, type FieldSet } from "./managed-fields.ts";

// The shape the API server writes for a Deployment applied by topo-operator (taken from a real one),
// beside fields that other managers set (the Deployment controller's status, a kubectl edit).
const live = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web-api",
    namespace: "ns",
    uid: "d1",
    resourceVersion: "9",
    generation: 2,
    labels: { "topo.dev/node": "api", "added-by": "kubectl" },
    annotations: { "deployment.kubernetes.io/revision": "2" },
    ownerReferences: [
      { apiVersion: "topo.dev/v1alpha1", kind: "Topology", name: "web", uid: "t1", controller: true },
    ],
    managedFields: [
      {
        manager: "topo-operator",
        operation: "Apply",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": {
            "f:labels": { "f:topo.dev/node": {} },
            "f:ownerReferences": { 'k:{"uid":"t1"}': {} },
          },
          "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
              "f:spec": {
                "f:containers": {
                  'k:{"name":"api"}': {
                    ".": {},
                    "f:name": {},
                    "f:image": {},
                    "f:env": { 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } },
                    "f:ports": {
                      'k:{"containerPort":80,"protocol":"TCP"}': {
                        ".": {},
                        "f:containerPort": {},
                        "f:protocol": {},
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      {
        manager: "topo-operator",
        operation: "Update",
        subresource: "status",
        fieldsV1: { "f:status": { "f:phase": {} } },
      },
      {
        manager: "kubectl-label",
        operation: "Update",
        fieldsV1: { "f:metadata": { "f:labels": { "f:added-by": {} } } },
      },
    ],
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { "topo.dev/node": "api" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%" } },
    template: {
      spec: {
        containers: [
          {
            name: "api",
            image: "api:1",
            imagePullPolicy: "IfNotPresent",
            env: [
              { name: "A", value: "1" },
              { name: "INJECTED", value: "by a webhook" },
            ],
            ports: [{ containerPort: 80, protocol: "TCP" }],
            terminationMessagePath: "/dev/termination-log",
          },
          { name: "sidecar", image: "mesh:1" },
        ],
      },
    },
  },
  status: { readyReplicas: 3 },
};

describe("extractOwned", () => {
  it("keeps exactly the fields the manager applied, with identity, and nothing defaulted or set by others", () => {
    expect(extractOwned(live, "topo-operator")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "web-api",
        namespace: "ns",
        labels: { "topo.dev/node": "api" },
        ownerReferences: live.metadata.ownerReferences,
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { "topo.dev/node": "api" } },
        template: {
          spec: {
            containers: [
              {
                name: "api",
                image: "api:1",
                env: [{ name: "A", value: "1" }],
                ports: [{ containerPort: 80, protocol: "TCP" }],
              },
            ],
          },
        },
      },
    });
  });

  it("reads nothing for a manager that never applied", () => {
    expect(extractOwned(live, "kubectl-label")).toBeUndefined();
    expect(extractOwned({ metadata: { name: "x" } }, "topo-operator")).toBeUndefined();
  });

  it("merges several Apply entries of the manager", () => {
    const twice = {
      ...live,
      metadata: {
        ...live.metadata,
        managedFields: [
          { manager: "m", operation: "Apply", fieldsV1: { "f:spec": { "f:replicas": {} } } },
          { manager: "m", operation: "Apply", fieldsV1: { "f:spec": { "f:selector": {} } } },
        ],
      },
    };
    expect(extractOwned(twice, "m")!.spec).toEqual({ replicas: 3, selector: live.spec.selector });
  });
});

describe("extractFields", () => {
  it.each<[string, unknown, FieldSet, unknown]>([
    [
      "an empty set names the whole value (an atomic list)",
      { a: [{ x: 1 }] },
      { "f:a": {} },
      { a: [{ x: 1 }] },
    ],
    [
      "an owned leaf the server omitted was an empty string",
      { name: "A" },
      { "f:name": {}, "f:value": {} },
      { name: "A", value: "" },
    ],
    ["an owned map that is not there is left out", { a: 1 }, { "f:b": { "f:c": {} } }, {}],
    [
      "a keyed element with only '.' keeps its key fields",
      [{ k: "a", v: 1 }],
      { 'k:{"k":"a"}': { ".": {} } },
      [{ k: "a" }],
    ],
    ["set members by value, in live order", ["x", "y", "z"], { 'v:"z"': {}, 'v:"x"': {} }, ["x", "z"]],
    ["list members by index", [{ a: 1, b: 2 }, { a: 3 }], { "i:1": { "f:a": {} } }, [{ a: 3 }]],
    ["a keyed element that is gone is left out", [{ k: "b" }], { 'k:{"k":"a"}': {} }, []],
  ])("%s", (_name, value, set, expected) => {
    expect(extractFields(value as never, set)).toEqual(expected);
  });
});
