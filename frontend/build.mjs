// Build the workbench into ../fusioncell/server/static (committed, so `pip install` needs no Node).
// Everything the page loads comes from there: no CDN, no web fonts, no tile server.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { feature, mesh } from "topojson-client";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "fusioncell", "server", "static");
const require = createRequire(import.meta.url);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// The three big libraries are also entry points of their own, so that with code splitting each lands in
// a shared chunk the page imports (app.js alone was over 2 MiB, too big a file to keep in git).
await build({
  entryPoints: [join(here, "src", "app.js"), ...["maplibre", "cytoscape", "timeline"].map((n) => join(here, "src", "vendor", `${n}.js`))],
  bundle: true,
  minify: true,
  splitting: true,
  chunkNames: "chunk-[hash]",
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  outdir: out,
  entryNames: "[name]",
  loader: { ".png": "dataurl", ".svg": "dataurl", ".woff": "empty", ".woff2": "empty", ".ttf": "empty" },
  legalComments: "none",
  logLevel: "warning",
});
// MapLibre runs its parser in a web worker loaded from this file (setWorkerUrl in map.js).
copyFileSync(require.resolve("maplibre-gl/dist/maplibre-gl-worker.mjs"), join(out, "maplibre-gl-worker.mjs"));
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));

// The offline basemap: Natural Earth land and country borders (world-atlas, 1:50m) as GeoJSON.
const atlas = (name) => JSON.parse(readFileSync(require.resolve(`world-atlas/${name}`), "utf8"));
const round = (k, v) => (typeof v === "number" ? Math.round(v * 1e4) / 1e4 : v);
const land = atlas("land-50m.json");
writeFileSync(join(out, "basemap-land.json"), JSON.stringify(feature(land, land.objects.land), round));
const countries = atlas("countries-50m.json");
writeFileSync(join(out, "basemap-borders.json"),
  JSON.stringify(mesh(countries, countries.objects.countries, (a, b) => a !== b), round));
console.log(`built ${out}`);
