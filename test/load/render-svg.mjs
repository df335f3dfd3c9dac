// Renders a Vega-Lite spec (a JSON file) to SVG, headless: `node render-svg.mjs spec.json out.svg`.
// Kept apart from the TypeScript build: vega and vega-lite live in test/load's own dependencies.
import { readFile, writeFile } from 'node:fs/promises';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';

const [specFile, svgFile] = process.argv.slice(2);
const spec = JSON.parse(await readFile(specFile, 'utf8'));
const view = new View(parse(compile(spec).spec), { renderer: 'none' });
await writeFile(svgFile, await view.toSVG());
