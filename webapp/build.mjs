// Bundles entry.js (the ol modules the page uses, and ol-pmtiles) into
// ../src/deconflict/web/static/vendor/ol.js with ol.css, the licences of what is
// bundled, and versions.json naming the versions (checked against package-lock.json
// by tests/web/test_vendor.py). Run: npm ci && npm run build.
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

const out = new URL("../src/deconflict/web/static/vendor/", import.meta.url);
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: ["entry.js"],
  bundle: true,
  format: "esm",
  minify: true,
  legalComments: "none",
  target: "es2020",
  outfile: new URL("ol.js", out).pathname,
  metafile: true,
});
copyFileSync("node_modules/ol/ol.css", new URL("ol.css", out));

// every package with a file in the bundle, with its licence text
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) packages.add(m[1]);
}
const versions = {};
const notices = [];
for (const name of [...packages].sort()) {
  const meta = JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8"));
  versions[name] = meta.version;
  const file = ["LICENSE", "LICENSE.md", "LICENSE.txt"].find((f) =>
    existsSync(`node_modules/${name}/${f}`),
  );
  const text = file
    ? readFileSync(`node_modules/${name}/${file}`, "utf8").trim()
    : `${meta.license} licence; see ${meta.repository?.url || meta.homepage || name}.`;
  notices.push(`${name} ${meta.version} (${meta.license})\n\n${text}\n`);
}
copyFileSync("node_modules/ol/LICENSE.md", new URL("LICENSE-ol.md", out));
writeFileSync(new URL("LICENSES.txt", out), notices.join("\n" + "-".repeat(72) + "\n\n"));
writeFileSync(new URL("versions.json", out), JSON.stringify(versions, null, 2) + "\n");
console.log(versions);
