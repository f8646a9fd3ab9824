// Runs the HTML player of a page written by `stickgen render -o page.html` in node with a stub DOM
// and a recording canvas, draws every frame, plays one simulated second, and prints a JSON summary.
// Used by tests/test_render.cpp; exits non-zero when the page's script throws.
"use strict";
const fs = require("fs");
const vm = require("vm");

const html = fs.readFileSync(process.argv[2], "utf8");
const code = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join("\n");

const summary = { strokes: 0, fills: 0, points: 0, nonfinite: 0, outside: 0, frames: 0, actors: 0, advanced: 0 };
function point(x, y) {
  const W = elements.view.width, H = elements.view.height;
  summary.points++;
  if (!Number.isFinite(x) || !Number.isFinite(y)) summary.nonfinite++;
  else if (x < -W * 0.05 || x > W * 1.05 || y < -H * 0.05 || y > H * 1.05) summary.outside++;
}
// Tracks the current transform's translation+scale well enough to map face coordinates too.
function makeContext() {
  let m = [1, 0, 0, 1, 0, 0];
  const stack = [];
  const apply = (x, y) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
  const mul = (n) => {
    m = [m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1], m[0] * n[2] + m[2] * n[3],
         m[1] * n[2] + m[3] * n[3], m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5]];
  };
  return {
    save() { stack.push(m.slice()); }, restore() { m = stack.pop() || [1, 0, 0, 1, 0, 0]; },
    translate(x, y) { mul([1, 0, 0, 1, x, y]); }, scale(x, y) { mul([x, 0, 0, y, 0, 0]); },
    rotate(a) { mul([Math.cos(a), Math.sin(a), -Math.sin(a), Math.cos(a), 0, 0]); },
    beginPath() {}, closePath() {},
    moveTo(x, y) { point(...apply(x, y)); }, lineTo(x, y) { point(...apply(x, y)); },
    quadraticCurveTo(a, b, x, y) { point(...apply(x, y)); },
    arc(x, y) { point(...apply(x, y)); }, ellipse(x, y) { point(...apply(x, y)); },
    stroke() { summary.strokes++; }, fill() { summary.fills++; }, fillRect() { summary.fills++; },
  };
}
function element(extra) {
  const listeners = {};
  return Object.assign({ textContent: "", value: "", max: "", checked: false, classList: { add() {}, remove() {} },
    addEventListener(type, fn) { listeners[type] = fn; }, click() { if (listeners.click) listeners.click(); } }, extra);
}
const ctx = makeContext();
const elements = {
  view: element({ width: 640, height: 480, getContext: () => ctx }),
  play: element({}), scrub: element({}), counter: element({}), speed: element({ value: "1" }),
  loop: element({ checked: true }), caption: element({}), stage: element({}),
};
let rafCallback = null;
const sandbox = {
  document: {
    title: "",
    getElementById(id) {
      if (id === "stickgen-motion" || id === "stickgen-config") {
        const m = html.match(new RegExp('<script type="application/json" id="' + id + '">([\\s\\S]*?)</script>'));
        return m ? { textContent: m[1] } : null;
      }
      return elements[id] || null;
    },
    addEventListener() {},
  },
  requestAnimationFrame(fn) { rafCallback = fn; },
  Math, JSON, Number, Object, Array, Float32Array, Int32Array, parseInt, parseFloat, isFinite, Error, String,
};
sandbox.window = sandbox;
vm.createContext(sandbox);
vm.runInContext(code, sandbox);
const player = sandbox.stickgenPlayer && sandbox.stickgenPlayer.instance;
if (!player) { console.error("player did not start"); process.exit(2); }
summary.frames = player.frames;
summary.actors = player.clip.A;
summary.width = elements.view.width;
summary.height = elements.view.height;
for (let t = 0; t < player.frames; t++) player.draw(t);
// Play one simulated second at 60 Hz from frame 0.
player.show(0);
for (let i = 0; i <= 60 && rafCallback; i++) rafCallback(1000 + i * (1000 / 60));
summary.advanced = parseInt(elements.scrub.value, 10);
summary.counter = elements.counter.textContent;
console.log(JSON.stringify(summary));
