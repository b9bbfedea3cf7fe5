// Builds the dashboard's front end into web/dist, which the dashboard server serves as static files.
import { defineConfig, type Plugin } from "vite";

/**
 * The page's entry (boot.ts) asks for the topology and then imports main.ts with cytoscape: a
 * `<link rel="modulepreload">` for that chunk lets the browser fetch and compile it beside the entry,
 * instead of only once the entry has run.
 */
const preloadMain: Plugin = {
  name: "topo-preload-main",
  transformIndexHtml: {
    order: "post",
    handler: (_html, ctx) =>
      Object.values(ctx.bundle ?? {})
        .filter((c) => c.type === "chunk" && c.isDynamicEntry && c.name === "main")
        .map((c) => ({
          tag: "link",
          attrs: { rel: "modulepreload", crossorigin: true, href: `/${c.fileName}` },
          injectTo: "head" as const,
        })),
  },
};

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  logLevel: "warn",
  plugins: [preloadMain],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or data: URLs: the page runs under a CSP without 'unsafe-inline'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
