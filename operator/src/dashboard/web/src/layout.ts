// Node positions computed from what the topology says about itself, without a layout run: dependsOn layers
// top to bottom, and in each layer every generator drawn in its own shape (a snake for linear, a circle
// for ring and mesh, a hub with spokes for star), so a graph mixing shapes stays readable. Pure: no DOM.
import type { TopologyDetail } from "../../types.ts";

export type Positions = Record<string, { x: number; y: number }>;

/** Above this many edges a graph is dense: placed on a circle without a layout run, and drawn faint. */
export const DENSE_EDGES = 2000;

/** Distance between neighbouring nodes: a 28 px node and its label. */
const STEP = 90;
/** A layer's blocks wrap onto another row past this width. */
const ROW_WIDTH = 1400;

interface Block {
  /** Positions around the block's own origin. */
  at: Positions;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

function block(at: Positions): Block {
  const xs = Object.values(at).map((p) => p.x);
  const ys = Object.values(at).map((p) => p.y);
  return { at, minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
}

function circle(names: string[], step: number, center?: string): Positions {
  const rim = center ? names.filter((n) => n !== center) : names;
  const r = Math.max(step * 0.8, (rim.length * step) / (2 * Math.PI));
  const angle = (i: number) => (2 * Math.PI * i) / rim.length - Math.PI / 2;
  const at: Positions = Object.fromEntries(
    rim.map((n, i) => [n, { x: r * Math.cos(angle(i)), y: r * Math.sin(angle(i)) }]),
  );
  if (center) at[center] = { x: 0, y: 0 };
  return at;
}

/** A chain in rows of up to 8, every other row reversed, so each node stays beside the next. */
function snake(names: string[]): Positions {
  const cols = Math.min(names.length, 8);
  return Object.fromEntries(
    names.map((n, i) => {
      const row = Math.floor(i / cols);
      const col = row % 2 === 0 ? i % cols : cols - 1 - (i % cols);
      return [n, { x: col * STEP, y: row * STEP }];
    }),
  );
}

function shapeBlock(names: string[], shape: string | undefined): Block {
  if (names.length === 1) return block({ [names[0]!]: { x: 0, y: 0 } });
  if (shape === "linear") return block(snake(names));
  // A star generator's first node is the hub every other one connects to.
  if (shape === "star") return block(circle(names, STEP, names[0]));
  return block(circle(names, STEP));
}

/** The blocks of one layer: a generator's nodes together (in generator order), every other node alone. */
function layerBlocks(layer: string[], d: TopologyDetail): Block[] {
  const index = new Map(d.nodes.map((n, i) => [n.name, i]));
  const byName = new Map(d.nodes.map((n) => [n.name, n]));
  const groups = new Map<string, string[]>();
  for (const name of layer) {
    const gen = byName.get(name)?.generator;
    const key = gen ? `generator ${gen}` : `node ${name}`;
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups.values()].map((names) => {
    names.sort((a, b) => index.get(a)! - index.get(b)!);
    return shapeBlock(names, byName.get(names[0]!)?.shape);
  });
}

/** Layers top to bottom; in a layer, blocks left to right, centred, wrapped at ROW_WIDTH. */
export function blockPositions(d: TopologyDetail): Positions {
  const pos: Positions = {};
  let top = 0;
  const placeRow = (row: Block[]) => {
    const width = row.reduce((w, b) => w + (b.maxX - b.minX), 0) + STEP * (row.length - 1);
    let left = -width / 2;
    for (const b of row) {
      for (const [name, p] of Object.entries(b.at))
        pos[name] = { x: left + (p.x - b.minX), y: top + (p.y - b.minY) };
      left += b.maxX - b.minX + STEP;
    }
    top += Math.max(...row.map((b) => b.maxY - b.minY)) + STEP * 1.3;
  };
  for (const layer of d.layers) {
    let row: Block[] = [];
    let width = 0;
    for (const b of layerBlocks(layer, d)) {
      const w = b.maxX - b.minX;
      if (row.length && width + STEP + w > ROW_WIDTH) {
        placeRow(row);
        row = [];
        width = 0;
      }
      width += (row.length ? STEP : 0) + w;
      row.push(b);
    }
    if (row.length) placeRow(row);
  }
  // A node the layers missed (they come from the same spec, so this is a safety net): beneath the rest.
  d.nodes.forEach((n, i) => (pos[n.name] ??= { x: i * STEP, y: top }));
  return pos;
}

/**
 * Positions without a layout run, wherever the topology says enough: blocks by layer and generator when
 * it has dependsOn edges or generators, a circle for any other dense graph (a mesh written out node by
 * node). Otherwise undefined: a hand-written graph gets a force-directed layout.
 */
export function presetPositions(d: TopologyDetail): Positions | undefined {
  if (d.edges.some((e) => e.kind === "dependsOn") || d.nodes.some((n) => n.generator))
    return blockPositions(d);
  if ((d.edgeCount ?? d.edges.length) > DENSE_EDGES)
    return circle(
      d.nodes.map((n) => n.name),
      46,
    );
  return undefined;
}
