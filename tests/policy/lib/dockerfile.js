'use strict';
// A small Dockerfile reader: instructions with continuation lines joined,
// comments dropped, grouped into build stages.

function parseDockerfile(text) {
  const lines = text.split('\n');
  const instructions = [];
  let cur = '';
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (!cur && /^\s*(#|$)/.test(line)) continue; // comment or blank between instructions
    if (cur && /^\s*#/.test(line)) continue; // comment inside a continuation
    if (/\\\s*$/.test(line)) {
      cur += line.replace(/\\\s*$/, ' ');
      continue;
    }
    cur += line;
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(cur);
    if (m) instructions.push({ cmd: m[1].toUpperCase(), args: m[2].trim() });
    cur = '';
  }
  const stages = [];
  for (const ins of instructions) {
    if (ins.cmd === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args);
      stages.push({ image: m[1], name: m[2] || null, instructions: [] });
    } else if (stages.length) stages[stages.length - 1].instructions.push(ins);
  }
  return { instructions, stages };
}

// JSON (exec) form or shell form → argv
function argv(args) {
  const s = args.trim();
  if (s.startsWith('[')) return JSON.parse(s);
  return s.split(/\s+/);
}

// packages named by `apt-get install` in RUN instructions
function aptPackages(stage) {
  const pkgs = [];
  for (const ins of stage.instructions.filter((i) => i.cmd === 'RUN')) {
    for (const [, rest] of ins.args.matchAll(/apt-get\s+install\s+([^&;|]*)/g))
      for (const tok of rest.split(/\s+/)) if (tok && !tok.startsWith('-')) pkgs.push(tok);
  }
  return pkgs;
}

module.exports = { parseDockerfile, argv, aptPackages };
