// The page's entry: asks for the topology in the address bar at once, then loads the rest of the page
// (main.ts, with cytoscape), which is fetched, compiled and sets up its graph while that answer is on its
// way; main.ts takes the answer instead of asking again.
import "./style.css";
import { adoptTokenFromUrl } from "./api.ts";
import { prefetch } from "./prefetch.ts";

declare global {
  interface Window {
    __topo: unknown;
  }
}
const marks = () => performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)]);
// The tests' read-only hook (main.ts has the real one): until main.ts has run, nothing is drawn.
window.__topo = {
  graph: () => ({ nodes: [], edges: [] }),
  selected: () => ({}),
  updates: () => 0,
  firstRenderMs: () => undefined,
  marks,
  phase: () => undefined,
  plan: () => undefined,
};

adoptTokenFromUrl();
prefetch();
void import("./main.ts");
