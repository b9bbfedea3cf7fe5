// Every phase has a color, a node shape and a glyph: color is never the only signal. A task is drawn in a
// shape of its own (TASK_SHAPE), whatever its phase: its outcome shows in the glyph, the color and the word.
export interface PhaseLook {
  color: string;
  shape: string;
  glyph: string;
}

export const PHASES: Record<string, PhaseLook> = {
  Ready: { color: "#2e7d32", shape: "ellipse", glyph: "✓" },
  Progressing: { color: "#1565c0", shape: "diamond", glyph: "↻" },
  Waiting: { color: "#6d6d6d", shape: "round-rectangle", glyph: "…" },
  Degraded: { color: "#c62828", shape: "triangle", glyph: "!" },
  RolledBack: { color: "#e65100", shape: "octagon", glyph: "↶" },
  Pending: { color: "#8d8d8d", shape: "rectangle", glyph: "○" },
  Invalid: { color: "#6a1b9a", shape: "star", glyph: "✗" },
  // A task's phases (it is drawn as TASK_SHAPE).
  Running: { color: "#1565c0", shape: "rhomboid", glyph: "▶" },
  Succeeded: { color: "#2e7d32", shape: "rhomboid", glyph: "✔" },
  Failed: { color: "#c62828", shape: "rhomboid", glyph: "✘" },
};

/** The shape of a task node (runs to completion), in every phase. */
export const TASK_SHAPE = "rhomboid";

export const look = (phase: string): PhaseLook => PHASES[phase] ?? PHASES.Pending!;

/** `<span class="phase" data-phase data-glyph>Ready</span>`: glyph + word + color. */
export function phaseBadge(phase: string): HTMLSpanElement {
  const s = document.createElement("span");
  s.className = "phase";
  s.dataset.phase = phase;
  s.dataset.glyph = look(phase).glyph;
  s.textContent = phase;
  return s;
}
