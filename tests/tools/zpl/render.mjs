// Render a ZPL file to PNGs with zpl-renderer-js (zebrash in WebAssembly), offline.
// usage: node render.mjs IN.zpl OUT_PREFIX WIDTH_MM HEIGHT_MM DOTS_PER_MM
import { ready } from "zpl-renderer-js";
import fs from "node:fs";
const [,, inFile, outPrefix, wmm, hmm, dpmm] = process.argv;
const { api } = await ready;
const zpl = fs.readFileSync(inFile, "utf8");
const labels = await api.zplToBase64MultipleAsync(zpl, Number(wmm), Number(hmm), Number(dpmm));
labels.forEach((b64, i) => fs.writeFileSync(`${outPrefix}-${String(i).padStart(5, "0")}.png`, Buffer.from(b64, "base64")));
console.log(labels.length);
