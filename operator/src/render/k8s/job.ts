// renderJob: a task's Job, one per task and pod template (a Job's template cannot change), named by its hash (pure).
import { ANNOTATION_CONFIG_HASH, MAX_NAME_LENGTH, TASK_DEFAULTS } from "../../api/constants.ts";
import { objectName, type ResolvedNode, type Topology } from "../../api/topology.ts";
import { durationSeconds, parseDuration } from "../../api/units.ts";
import { hashOf, renderPodSpec } from "./deployment.ts";
import { filesAnnotation } from "./files.ts";
import { childMeta, nodeLabels, type KubeObject } from "./labels.ts";

/** Characters of the template hash in a Job's name: enough to tell a task's templates apart. */
const NAME_HASH = 10;

/**
 * `<topology>-<node>-<hash>`, at most 63 characters (the Job controller puts the name in a label): a long
 * node name is cut before the hash, which stays whole.
 */
export function jobName(topology: string, node: string, hash: string): string {
  const base = objectName(topology, node)
    .slice(0, MAX_NAME_LENGTH - NAME_HASH - 1)
    .replace(/-+$/, "");
  return `${base}-${hash.slice(0, NAME_HASH)}`;
}

/**
 * The Job that runs a task once: restartPolicy Never, so every attempt is a pod of its own whose log can
 * be read; backoffLimit from retries, activeDeadlineSeconds from timeout (the whole Job, retries included).
 */
export function renderJob(topology: Topology, node: ResolvedNode): KubeObject {
  const task = node.task ?? TASK_DEFAULTS;
  const podSpec = { ...renderPodSpec(topology, node), restartPolicy: "Never" };
  const hash = hashOf(podSpec);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: childMeta(topology, node.name, jobName(topology.name, node.name, hash)),
    spec: {
      backoffLimit: task.retries,
      activeDeadlineSeconds: durationSeconds(parseDuration(task.timeout) ?? 0, 1),
      template: {
        metadata: {
          labels: nodeLabels(topology.name, node.name),
          annotations: { [ANNOTATION_CONFIG_HASH]: hash, ...filesAnnotation(topology, node) },
        },
        spec: podSpec,
      },
    },
  };
}
