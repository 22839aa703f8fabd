// Renders every ```mermaid block of every README.md under a rendered output folder with the
// real Mermaid library in headless Chromium, and saves one PNG per target.
//
//   node tests/browser/render-mermaid.mjs <rendered-folder> <screenshot-folder>
//
// Exit 0 when every diagram parses and renders; 1 (with the README, the block and Mermaid's
// message on stderr) when one does not, or when no diagram is found; 2 on usage errors.
// The page is blank and offline: Mermaid is injected from node_modules, every request is refused.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const MERMAID = join(here, "node_modules/mermaid/dist/mermaid.min.js");
const CHROMIUM = process.env.GEN_CHROMIUM || "/usr/bin/chromium";

function usage(message) {
  console.error(`render-mermaid: ${message}`);
  console.error("usage: node render-mermaid.mjs <rendered-folder> <screenshot-folder>");
  process.exit(2);
}

function readmes(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...readmes(path));
    else if (name === "README.md") found.push(path);
  }
  return found;
}

// The body of every fenced block whose info string is `mermaid` (``` or ~~~ fences).
function mermaidBlocks(markdown) {
  const blocks = [];
  let fence = null;
  let lines = [];
  for (const line of markdown.split("\n")) {
    if (fence === null) {
      const open = /^ {0,3}(`{3,}|~{3,})\s*mermaid\s*$/.exec(line);
      if (open) {
        fence = open[1];
        lines = [];
      }
    } else if (new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(line)) {
      blocks.push(lines.join("\n"));
      fence = null;
    } else {
      lines.push(line);
    }
  }
  if (fence !== null) blocks.push(lines.join("\n"));
  return blocks;
}

const [rendered, shots] = process.argv.slice(2);
if (!rendered || !shots) usage("two arguments are needed");
if (!existsSync(rendered)) usage(`${rendered} does not exist`);
if (!existsSync(MERMAID)) usage(`${MERMAID} is missing: run npm ci in ${here}`);
mkdirSync(shots, { recursive: true });

const targets = readmes(rendered).map((path) => ({
  path,
  name: relative(rendered, dirname(path)).split(sep).join("__") || "root",
  blocks: mermaidBlocks(readFileSync(path, "utf8")),
}));
if (targets.length === 0) {
  console.error(`render-mermaid: no README.md under ${rendered}`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
let failures = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.route("**/*", (route) => route.abort());
  await page.setContent("<!doctype html><html><body><main id=\"out\"></main></body></html>");
  await page.addScriptTag({ content: readFileSync(MERMAID, "utf8") });
  await page.evaluate(() =>
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" }),
  );
  for (const target of targets) {
    if (target.blocks.length === 0) {
      console.error(`${target.path}: no mermaid block`);
      failures++;
      continue;
    }
    const results = await page.evaluate(async (blocks) => {
      const out = document.getElementById("out");
      out.innerHTML = "";
      const results = [];
      for (const [i, code] of blocks.entries()) {
        try {
          await window.mermaid.parse(code);
          const { svg } = await window.mermaid.render(`diagram${i}`, code);
          if (svg.includes("Syntax error in text")) throw new Error("Mermaid drew its error diagram");
          const figure = document.createElement("figure");
          figure.innerHTML = svg;
          out.appendChild(figure);
          results.push(null);
        } catch (e) {
          results.push(String((e && (e.message || e.str)) || e));
        }
      }
      return results;
    }, target.blocks);
    results.forEach((error, i) => {
      if (error !== null) {
        failures++;
        console.error(`${target.path}: mermaid block ${i + 1} does not render:\n${error}\n--- block ---\n${target.blocks[i]}\n---`);
      }
    });
    if (results.every((e) => e === null)) {
      const file = join(shots, `${target.name}.png`);
      await page.locator("#out").screenshot({ path: file });
      console.log(`${target.path}: ${target.blocks.length} diagram(s) rendered -> ${file}`);
    }
  }
} finally {
  await browser.close();
}
process.exit(failures === 0 ? 0 : 1);
