// Task nodes on Compose: `topo up` runs each task that changed to completion before the rest of the
// revision starts, and never one whose container already ran the same configuration to a successful end;
// a rollback runs none. It watches the task's container for its exit code rather than relying on
// `docker compose up --wait`, which exits 1 on a one-shot service that completed (compose #10596).
import { ANNOTATION_CONFIG_HASH } from "../api/constants.ts";
import type { Topology } from "../api/topology.ts";
import { parseDuration } from "../api/units.ts";
import type { IoContext } from "../io.ts";
import { renderCompose } from "../render/compose/index.ts";
import type { Compose, ProjectFiles } from "./compose.ts";
import { lastLine, type ContainerState } from "./docker.ts";

export interface TaskFailure {
  service: string;
  reason: string;
}

/** Each task's configuration hash, as the topology renders its service (the label its container gets). */
export function taskHashes(topology: Topology): Map<string, string> {
  const services = renderCompose(topology).services;
  return new Map(
    topology.nodes
      .filter((n) => n.task)
      .map((n) => [n.name, (services[n.name]!.labels as Record<string, string>)[ANNOTATION_CONFIG_HASH]!]),
  );
}

/** Whether a container of the task ran this configuration to a successful end: its success stands. */
export function succeeded(service: string, hash: string, containers: readonly ContainerState[]): boolean {
  return containers.some(
    (c) => c.service === service && c.configHash === hash && c.status === "exited" && c.exitCode === 0,
  );
}

/** The tasks a revision runs: those no container ran to a successful end in the configuration it asks for. */
export function pendingTasks(topology: Topology, containers: readonly ContainerState[]): string[] {
  return [...taskHashes(topology)].filter(([n, hash]) => !succeeded(n, hash, containers)).map(([n]) => n);
}

/** Where one attempt of a task is, from its containers: started at or after `since` (ms). */
export function attemptOf(
  service: string,
  hash: string,
  containers: readonly ContainerState[],
  since: number,
):
  | { state: "waiting" }
  | { state: "running"; startedAt: number }
  | { state: "exited"; exitCode: number; startedAt: number } {
  const c = containers.find(
    (x) => x.service === service && x.configHash === hash && Date.parse(x.startedAt) >= since,
  );
  if (!c || c.status === "created") return { state: "waiting" };
  const startedAt = Date.parse(c.startedAt);
  if (c.status === "exited" || c.status === "dead")
    return { state: "exited", exitCode: c.exitCode, startedAt };
  return { state: "running", startedAt };
}

/**
 * A task's phase from its containers (the newest one decides), named as on Kubernetes: Waiting, Running,
 * Succeeded, or Failed with its exit code.
 */
export function taskPhase(
  containers: readonly Pick<ContainerState, "status" | "exitCode" | "createdAt">[],
): string {
  const newest = [...containers].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
  if (!newest || newest.status === "created") return "Waiting";
  if (newest.status !== "exited" && newest.status !== "dead") return "Running";
  return newest.exitCode === 0 ? "Succeeded" : `Failed (exit ${newest.exitCode})`;
}

export interface RunTasksOptions {
  ctx: IoContext;
  compose: Compose;
  project: ProjectFiles;
  topology: Topology;
  tasks: string[];
  /** The project's containers, every state; throws EngineUnavailableError when the engine is gone. */
  list(): Promise<ContainerState[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `tasks` (with the nodes they depend on, as compose starts them) and waits for each to exit: 0 is
 * done; another code is retried `retries` times, then fails; a task running past its timeout (retries
 * included) is killed and fails; one that has not started by the progress deadline (its dependencies are
 * not healthy) fails. Resolves with the first failure, or undefined once every task succeeded.
 */
export async function runTasks(o: RunTasksOptions): Promise<TaskFailure | undefined> {
  const hashes = taskHashes(o.topology);
  const deadlineMs = o.topology.rollout.progressDeadlineSeconds * 1000;
  const started = Date.now();
  const say = (line: string) => o.ctx.stderr.write(`  ${line}\n`);
  say(`running task${o.tasks.length > 1 ? "s" : ""} ${o.tasks.join(", ")} first`);
  let upResult: { code: number; stderr: string } | undefined;
  // Starts the tasks once what they depend on is healthy (depends_on), and returns once they started.
  const up = o.compose.run(o.project, ["up", "-d", ...o.tasks]).then((r) => (upResult = r));
  const runs = new Map(o.tasks.map((t) => [t, { attempt: 1, since: started - 1000, first: 0, shown: "" }]));
  try {
    for (;;) {
      const list = await o.list();
      for (const [task, run] of runs) {
        const node = o.topology.nodes.find((n) => n.name === task)!;
        const { retries, timeout } = node.task!;
        const timeoutMs = parseDuration(timeout) ?? 0;
        const a = attemptOf(task, hashes.get(task)!, list, run.since);
        const show = (state: string) => {
          if (run.shown !== state) say(`${task}: ${state}`);
          run.shown = state;
        };
        if (a.state === "waiting") {
          if (upResult && upResult.code !== 0)
            return { service: "compose", reason: `compose up failed: ${lastLine(upResult.stderr)}` };
          if (Date.now() - started > deadlineMs)
            return {
              service: task,
              reason: `the task did not start within ${deadlineMs / 1000}s (waiting for ${node.dependsOn.join(", ") || "compose"})`,
            };
          show("waiting");
          continue;
        }
        run.first ||= a.startedAt;
        if (a.state === "running") {
          if (Date.now() - run.first > timeoutMs) {
            await o.compose.run(o.project, ["kill", task]);
            return { service: task, reason: `the task ran past its timeout of ${timeout}, and was stopped` };
          }
          show(`running${run.attempt > 1 ? ` (attempt ${run.attempt} of ${retries + 1})` : ""}`);
          continue;
        }
        if (a.exitCode === 0) {
          say(`${task}: succeeded`);
          runs.delete(task);
          continue;
        }
        if (run.attempt > retries)
          return {
            service: task,
            reason: `the task exited with code ${a.exitCode}${retries ? ` in each of its ${retries + 1} attempts` : ""}`,
          };
        say(`${task}: exited with code ${a.exitCode}; running it again`);
        run.attempt += 1;
        run.since = a.startedAt + 1; // the same container, started again
        run.shown = "";
        await o.compose.run(o.project, ["start", task]);
      }
      if (runs.size === 0) return undefined;
      await sleep(400);
    }
  } finally {
    await Promise.race([up, new Promise((r) => setTimeout(r, 15_000).unref())]);
  }
}
