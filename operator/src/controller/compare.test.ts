import { applyReason, contains, needsApply } from "./compare.ts";

describe("needsApply", () => {
  const desired = {
    metadata: { labels: { a: "1" }, ownerReferences: [{ uid: "u" }] },
    spec: {
      replicas: 2,
      template: {
        spec: { containers: [{ name: "c", image: "x:1", resources: { limits: { cpu: "0.5" } } }] },
      },
      policy: [],
    },
  };
  const observed = {
    metadata: {
      labels: { a: "1", extra: "kept" },
      ownerReferences: [{ uid: "u" }],
      annotations: { "deployment.kubernetes.io/revision": "3" },
    },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate" },
      template: {
        spec: {
          containers: [
            {
              name: "c",
              image: "x:1",
              imagePullPolicy: "IfNotPresent",
              resources: { limits: { cpu: "500m" } },
            },
          ],
        },
      },
    },
  };

  it("is false when the server only added defaults and canonicalised quantities", () => {
    expect(needsApply(desired, observed)).toBe(false);
  });
  it("is true when a field we own was edited by hand", () => {
    const edited = structuredClone(observed);
    edited.spec.template.spec.containers[0]!.image = "x:2";
    expect(needsApply(desired, edited)).toBe(true);
    expect(needsApply(desired, { ...observed, spec: { ...observed.spec, replicas: 5 } })).toBe(true);
  });
  it("is true when the object does not exist or a label is missing", () => {
    expect(needsApply(desired, undefined)).toBe(true);
    expect(needsApply(desired, { ...observed, metadata: { ...observed.metadata, labels: {} } })).toBe(true);
  });
  it("compares lists by length and position", () => {
    expect(contains([1, 2], [1, 2])).toBe(true);
    expect(contains([1, 2, 3], [1, 2])).toBe(false);
  });
  it("treats an empty string as the omitted value the API server returns, and nothing else", () => {
    expect(contains([{ name: "TOPO_PEERS" }], [{ name: "TOPO_PEERS", value: "" }])).toBe(true);
    expect(contains([{ name: "TOPO_PEERS", value: "a:1" }], [{ name: "TOPO_PEERS", value: "" }])).toBe(false);
  });
  it("names the first field that differs, so a debug log says why an object is applied", () => {
    const edited = structuredClone(observed);
    edited.spec.template.spec.containers[0]!.image = "x:2";
    expect(applyReason(desired, edited)).toBe("spec.template.spec.containers[0].image");
    expect(applyReason(desired, undefined)).toBe("missing");
    expect(applyReason(desired, observed)).toBeUndefined();
  });
});

describe("applyReason for a NetworkPolicy that lost its last peer", () => {
  const rule = { from: [{ podSelector: { matchLabels: { "topo.dev/node": "api" } } }] };
  const policy = (ingress?: unknown[]) => ({
    kind: "NetworkPolicy",
    metadata: { labels: { a: "1" } },
    spec: { podSelector: {}, policyTypes: ["Ingress"], ...(ingress ? { ingress } : {}) },
  });

  it("applies the policy again when the rule that admitted the removed peer is still there", () =>
    expect(applyReason(policy(), policy([rule]))).toBe("spec.ingress"));

  it("is satisfied once the rule is gone, and keeps comparing rules that remain", () => {
    expect(applyReason(policy(), policy())).toBeUndefined();
    expect(applyReason(policy([rule]), policy([rule]))).toBeUndefined();
  });

  it("leaves other kinds' omitted fields to whoever set them", () =>
    expect(
      applyReason({ ...policy(), kind: "Service" }, { ...policy([rule]), kind: "Service" }),
    ).toBeUndefined());
});
