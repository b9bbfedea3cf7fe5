import { guessResource, resourcePath } from "./resources.ts";

describe("guessResource", () => {
  it.each([
    ["Deployment", "deployments"],
    ["Service", "services"],
    ["PersistentVolumeClaim", "persistentvolumeclaims"],
    ["NetworkPolicy", "networkpolicies"],
    ["ControllerRevision", "controllerrevisions"],
    ["Topology", "topologies"],
    ["Lease", "leases"],
    ["Ingress", "ingresses"],
    ["Gateway", "gateways"],
    ["ConfigMap", "configmaps"],
  ])("names %s's resource %s, as the API server does", (kind, plural) => {
    expect(guessResource(kind)).toBe(plural);
  });
});

describe("resourcePath", () => {
  it("puts core kinds under /api and grouped kinds under /apis", () => {
    expect(resourcePath("v1", "Pod", "ns", "p")).toBe("/api/v1/namespaces/ns/pods/p");
    expect(resourcePath("apps/v1", "Deployment", "ns")).toBe("/apis/apps/v1/namespaces/ns/deployments");
    expect(resourcePath("topo.dev/v1alpha1", "Topology")).toBe("/apis/topo.dev/v1alpha1/topologies");
  });
});
