// The informer cache's trimmed children (kube/cache-transform.ts trimOwned) against compare.ts: what the
// cache keeps of a child must hold every field reconcile compares, or an idle reconcile would write.
import { trimOwned } from "../kube/cache-transform.ts";
import { applyReason } from "./compare.ts";

describe("a child as the cache keeps it (trimOwned)", () => {
  // A Deployment as the API server holds it after the operator applied it: its fields, the server's
  // defaults, a container another manager added, and the controller's status.
  const applied = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { labels: { "topo.dev/node": "api" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { "topo.dev/node": "api" } },
      template: {
        metadata: { labels: { "topo.dev/node": "api" }, annotations: { "topo.dev/config-hash": "h1" } },
        spec: {
          enableServiceLinks: false,
          containers: [{ name: "api", image: "api:2", env: [{ name: "MODE", value: "" }] }],
        },
      },
    },
  };
  const owned = {
    "f:metadata": { "f:labels": { "f:topo.dev/node": {} } },
    "f:spec": {
      "f:replicas": {},
      "f:selector": {},
      "f:template": {
        "f:metadata": {
          "f:labels": { "f:topo.dev/node": {} },
          "f:annotations": { "f:topo.dev/config-hash": {} },
        },
        "f:spec": {
          "f:enableServiceLinks": {},
          "f:containers": {
            'k:{"name":"api"}': {
              ".": {},
              "f:name": {},
              "f:image": {},
              "f:env": { 'k:{"name":"MODE"}': { ".": {}, "f:name": {}, "f:value": {} } },
            },
          },
        },
      },
    },
  };
  const live = (fieldsV1: object, manager = "topo-operator") => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web-api",
      namespace: "ns",
      uid: "u1",
      resourceVersion: "9",
      generation: 3,
      labels: { "topo.dev/node": "api" },
      managedFields: [
        { manager, operation: "Apply", fieldsType: "FieldsV1", fieldsV1 },
        {
          manager: "kube-controller-manager",
          operation: "Update",
          subresource: "status",
          fieldsV1: { "f:status": {} },
        },
      ],
    },
    spec: {
      replicas: 2,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { "topo.dev/node": "api" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: {
        metadata: { labels: { "topo.dev/node": "api" }, annotations: { "topo.dev/config-hash": "h1" } },
        spec: {
          enableServiceLinks: false,
          dnsPolicy: "ClusterFirst",
          restartPolicy: "Always",
          schedulerName: "default-scheduler",
          securityContext: {},
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: "api",
              image: "api:2",
              env: [{ name: "MODE" }], // the API server omits the empty value
              imagePullPolicy: "IfNotPresent",
              resources: {},
              terminationMessagePath: "/dev/termination-log",
              terminationMessagePolicy: "File",
            },
            { name: "mesh-proxy", image: "proxy:1" },
          ],
        },
      },
    },
    status: {
      observedGeneration: 3,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [{ type: "Available", status: "True", message: "Deployment has minimum availability." }],
    },
  });
  const keep = trimOwned("Deployment", "topo-operator");

  it("keeps of the spec only the fields the manager applied, and of the status the replica counts", () => {
    const { managedFields: _dropped, ...metadata } = live(owned).metadata;
    expect(keep(live(owned))).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata,
      spec: {
        replicas: 2,
        selector: { matchLabels: { "topo.dev/node": "api" } },
        template: {
          metadata: { labels: { "topo.dev/node": "api" }, annotations: { "topo.dev/config-hash": "h1" } },
          spec: {
            enableServiceLinks: false,
            containers: [{ name: "api", image: "api:2", env: [{ name: "MODE" }] }],
          },
        },
      },
      status: {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
      },
    });
  });

  it("holds everything the operator would apply, so an unchanged child is not applied again", () => {
    expect(applyReason(applied, keep(live(owned)) as typeof applied)).toBeUndefined();
  });

  it("drops a field another manager took over, so the operator applies it back", () => {
    const { "f:image": _taken, ...container } =
      owned["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"api"}'];
    const fields = structuredClone(owned) as Omit<typeof owned, "f:spec"> & {
      "f:spec": { "f:template": { "f:spec": { "f:containers": object } } };
    };
    fields["f:spec"]["f:template"]["f:spec"]["f:containers"] = { 'k:{"name":"api"}': container };
    expect(applyReason(applied, keep(live(fields)) as typeof applied)).toBe(
      "spec.template.spec.containers[0].image",
    );
  });

  it("keeps the replicas another manager scaled to, and applies the operator's back", () => {
    const { "f:replicas": _taken, ...spec } = owned["f:spec"];
    const scaled = live({ ...owned, "f:spec": spec });
    scaled.spec.replicas = 5;
    const kept = keep(scaled) as typeof applied;
    expect(kept.spec.replicas).toBe(5);
    expect(applyReason(applied, kept)).toBe("spec.replicas");
  });

  it("keeps the whole spec of an object the manager did not apply", () => {
    const other = keep(live(owned, "kubectl-client-side-apply")) as ReturnType<typeof live>;
    expect(other.spec).toEqual(live(owned).spec);
    expect(other.metadata).not.toHaveProperty("managedFields");
  });

  it("drops a Service's status, which nothing reads", () => {
    const svc = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec: { type: "ClusterIP" },
      status: { loadBalancer: {} },
    };
    expect(trimOwned("Service", "topo-operator")(svc)).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec: { type: "ClusterIP" },
    });
  });
});
