// toCrd(): the CustomResourceDefinition of Topology, generated from the zod model (pure).
import { z } from "zod";
import { GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from "./constants.ts";
import { TopologySpec, TopologyStatus } from "./schema.ts";

type JsonSchema = Record<string, unknown>;

/** Rewrites zod's JSON Schema into a Kubernetes structural schema. */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (node === null || typeof node !== "object") return node;
  const s = { ...(node as JsonSchema) };
  if (s["x-kubernetes-int-or-string"]) {
    // Structural schemas express int-or-string by the extension alone (with no type).
    return { "x-kubernetes-int-or-string": true, ...(s.description ? { description: s.description } : {}) };
  }
  // The API server rejects additionalProperties beside properties; strict objects are enforced by
  // pruning and by the operator's own validation, which names the unknown field.
  if (s.properties && s.additionalProperties === false) delete s.additionalProperties;
  // Numbers that zod bounds with the safe-integer range need no bounds in the CRD.
  if (s.type === "integer") {
    if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
    if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
    s.format ??= "int32";
    if (s.format === "safeint") s.format = "int32";
  }
  delete s.$schema;
  for (const [k, v] of Object.entries(s)) if (k !== "enum" && k !== "default") s[k] = structural(v);
  return s;
}

function schemaOf(schema: z.ZodType): JsonSchema {
  return structural(
    z.toJSONSchema(schema, {
      target: "openapi-3.0",
      io: "input",
      reused: "inline",
      unrepresentable: "throw",
    }),
  ) as JsonSchema;
}

export function toCrd(): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { "app.kubernetes.io/name": "topo", "app.kubernetes.io/part-of": "topo" },
    },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: SHORT_NAMES,
        categories: ["all"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Phase", type: "string", jsonPath: ".status.phase" },
            { name: "Ready", type: "string", jsonPath: ".status.readyNodes" },
            { name: "Revision", type: "integer", jsonPath: ".status.revision" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: "A multi-service application described as a graph of nodes and edges.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: schemaOf(TopologySpec),
                status: schemaOf(TopologyStatus),
              },
            },
          },
        },
      ],
    },
  };
}
