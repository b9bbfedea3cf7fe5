import { apiError, Forbidden, isNamespaceTerminating, isTerminal, ServerError } from "./errors.ts";

// The Status a real API server answers a create in a namespace being deleted with (kube-apiserver's
// NamespaceLifecycle admission), and one a RBAC denial answers with.
const terminating = {
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message:
    'deployments.apps "shop-api" is forbidden: unable to create new content in namespace team-a because it is being terminated',
  reason: "Forbidden",
  details: {
    name: "shop-api",
    group: "apps",
    kind: "deployments",
    causes: [
      {
        reason: "NamespaceTerminating",
        message: "namespace team-a is being terminated",
        field: "metadata.namespace",
      },
    ],
  },
  code: 403,
};
const denied = {
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message: 'deployments.apps "shop-api" is forbidden: User "x" cannot patch resource "deployments"',
  reason: "Forbidden",
  details: { name: "shop-api", group: "apps", kind: "deployments" },
  code: 403,
};
const fromStatus = (s: typeof terminating | typeof denied, code = s.code) =>
  apiError(s.message, code, { reason: s.reason, cause: s });

describe("isNamespaceTerminating", () => {
  it("tells a namespace being terminated by the Status cause the API server gives", () => {
    const err = fromStatus(terminating);
    expect(err).toBeInstanceOf(Forbidden);
    expect(isNamespaceTerminating(err)).toBe(true);
  });

  it("is not any other 403, nor the same cause on another status, nor an error without a Status", () => {
    expect(isNamespaceTerminating(fromStatus(denied))).toBe(false);
    expect(isNamespaceTerminating(fromStatus(terminating, 500))).toBe(false);
    expect(isNamespaceTerminating(new Forbidden("forbidden", 403))).toBe(false);
    expect(isNamespaceTerminating(new Error(terminating.message))).toBe(false);
  });
});

describe("isTerminal", () => {
  it("does not retry a write into a namespace being terminated, nor an invalid object", () => {
    expect(isTerminal(fromStatus(terminating))).toBe(true);
    expect(isTerminal(apiError("invalid", 422))).toBe(true);
  });

  it("retries an RBAC denial (RBAC can change) and a server error", () => {
    expect(isTerminal(fromStatus(denied))).toBe(false);
    expect(isTerminal(new ServerError("unavailable", 503))).toBe(false);
  });
});
