// Reads topology files (or stdin) for every command: all documents, all errors, each with FILE:LINE:COL.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { API_VERSION, KIND } from "../api/constants.ts";
import { parseTopology } from "../api/parse.ts";
import { readDocuments } from "../api/source.ts";
import { formatPath, type Path, type Topology } from "../api/topology.ts";
import { UserError, type CommandContext } from "./command.ts";

export interface Diagnostic {
  file: string;
  /** Absent when the file cannot be read as YAML at all: printed as FILE: message. */
  line?: number;
  col?: number;
  path: string;
  message: string;
  severity: "error" | "warning";
}

export interface LoadedTopology {
  file: string;
  /** The document's index in its file. */
  document: number;
  topology: Topology;
  /** Where a path of the document is written (the deepest part of it that exists). */
  locate(path: Path): { line: number; col: number };
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.file : `${d.file}:${d.line}:${d.col}`;
  const prefix = d.severity === "warning" ? "warning: " : "";
  return d.path ? `${where}: ${prefix}${d.path}: ${d.message}` : `${where}: ${prefix}${d.message}`;
}

async function readSource(file: string, ctx: CommandContext): Promise<string> {
  if (file === "-") return ctx.readStdin();
  try {
    return await readFile(resolve(ctx.cwd, file), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory"
          : code === "EACCES"
            ? "permission denied"
            : String((err as Error).message);
    throw new UserError(`${file}: ${why}`, { cause: err });
  }
}

/** Every Topology in the files, and every diagnostic (errors and warnings) about them. */
export async function loadTopologies(
  files: string[],
  ctx: CommandContext,
): Promise<{ topologies: LoadedTopology[]; diagnostics: Diagnostic[] }> {
  const topologies: LoadedTopology[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const name = file === "-" ? "<stdin>" : file;
    const text = await readSource(file, ctx);
    let read: ReturnType<typeof readDocuments>;
    try {
      read = readDocuments(text);
    } catch (err) {
      // The parser reports what it can with positions; anything it throws still names the file.
      diagnostics.push({
        file: name,
        path: "",
        message: `YAML: ${(err as Error).message}`,
        severity: "error",
      });
      continue;
    }
    const { documents, syntaxErrors } = read;
    for (const e of syntaxErrors)
      diagnostics.push({
        file: name,
        ...e.position,
        path: "",
        message: `YAML: ${e.message}`,
        severity: "error",
      });
    let found = 0;
    for (const doc of documents) {
      const value = doc.value as { kind?: unknown; apiVersion?: unknown } | null;
      // Other kinds may share the file (a Secret, a Namespace): they are not ours to read.
      if (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        value.kind !== undefined &&
        value.kind !== KIND
      )
        continue;
      found++;
      const result = parseTopology(value);
      const issues = result.ok ? result.warnings : [...result.issues, ...result.warnings];
      for (const issue of issues) {
        diagnostics.push({
          file: name,
          ...doc.locate(issue.path),
          path: formatPath(issue.path),
          message: issue.message,
          severity: issue.severity,
        });
      }
      if (result.ok)
        topologies.push({ file: name, document: doc.index, topology: result.topology, locate: doc.locate });
    }
    if (found === 0 && syntaxErrors.length === 0) {
      diagnostics.push({
        file: name,
        line: 1,
        col: 1,
        path: "",
        message: `no Topology found (expected documents with apiVersion: ${API_VERSION} and kind: ${KIND})`,
        severity: "error",
      });
    }
  }
  return { topologies, diagnostics };
}

/** Loads, prints errors (and warnings if asked) to stderr, and fails with exit 1 when any file has an error. */
export async function loadOrFail(
  files: string[],
  ctx: CommandContext,
  opts: { warnings?: boolean } = {},
): Promise<LoadedTopology[]> {
  const { topologies, diagnostics } = await loadTopologies(files, ctx);
  for (const d of diagnostics)
    if (opts.warnings || d.severity === "error") ctx.stderr.write(`${formatDiagnostic(d)}\n`);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  if (errors > 0) throw new UserError(`${errors} error${errors === 1 ? "" : "s"} found`);
  return topologies;
}
