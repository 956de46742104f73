// The program the JavaScript runtime's child runs (`node -e`), kept as text because it must run
// in a bare `node` with no file-system access at all: no tsx, no package, nothing to read.
//
// Protocol: stdin carries {script, handler, events, context, memoryMb} as JSON; one JSON line
// goes to fd 3, {ok: true, payload} or {ok: false, error}; the process exits as soon as its
// output is flushed, so timers or sockets the script left open cannot hold the step.
//
// The script is either CommonJS-style (its text is the body of a function given exports,
// require, module; the handler is a top-level function or an export) or, when it uses
// import/export or top-level await, an ES module whose named export is the handler.
export const NODE_BOOTSTRAP = String.raw`'use strict';
const fs = require('node:fs');
const vm = require('node:vm');
const { isBuiltin } = require('node:module');
const RESULT_FD = 3;
const RESERVED = new Set(('arguments await break case catch class const continue debugger default delete do else enum eval export extends ' +
  'false finally for function if implements import in instanceof interface let new null package private protected public return static ' +
  'super switch this throw true try typeof var void while with yield').split(' '));
let request = {};
let done = false;
let moduleUrl = null;

function send(result) {
  if (done) return;
  done = true;
  let text;
  try {
    text = JSON.stringify(result);
  } catch (e) {
    text = JSON.stringify({ ok: false, error: 'could not encode the result: ' + e.message });
  }
  const buf = Buffer.from(text + '\n');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(RESULT_FD, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') break;
    }
  }
  // process.exit drops whatever stdout and stderr still hold; an empty write calls back once all before it is out.
  setTimeout(() => process.exit(0), 2000);
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(0);
  };
  for (const stream of [process.stdout, process.stderr]) {
    try {
      stream.write('', flushed);
    } catch {
      flushed();
    }
  }
}

function fail(error) {
  send({ ok: false, error });
}

function scriptFrames(stack) {
  let text = String(stack || '');
  if (moduleUrl) text = text.split(moduleUrl).join('script.mjs');
  return text.split('\n').filter((l) => /^\s+at /.test(l) && /script\.m?js:\d+/.test(l)).slice(0, 10);
}

function describe(e) {
  if (e instanceof Error) {
    const head = (e.name || 'Error') + ': ' + e.message;
    if (/out of memory|allocation failed/i.test(e.message)) return head + ' (the memory limit is ' + request.memoryMb + ' MiB)';
    const stack = moduleUrl ? String(e.stack).split(moduleUrl).join('script.mjs') : String(e.stack);
    if (e.name === 'SyntaxError') {
      // V8 puts the offending line and a caret above the message.
      const at = stack.indexOf('\nSyntaxError');
      return at > 0 ? head + '\n' + stack.slice(0, at).trimEnd() : head;
    }
    return [head, ...scriptFrames(stack)].join('\n');
  }
  let shown;
  try {
    shown = typeof e === 'string' ? e : JSON.stringify(e);
  } catch {
    shown = String(e);
  }
  return 'the script threw ' + (typeof e === 'object' && e !== null ? 'a non-Error value: ' : '') + shown;
}

// The full stack goes to the logs, less the frames of this bootstrap and of node itself.
function logError(e) {
  try {
    let stack = e instanceof Error ? String(e.stack) : String(e);
    if (moduleUrl) stack = stack.split(moduleUrl).join('script.mjs');
    console.error(stack.split('\n').filter((l) => !/^\s+at .*(\[eval\]|node:internal|node:vm|node:events)/.test(l)).join('\n'));
  } catch {}
}

// JSON.stringify quietly turns NaN into null and drops functions, Maps and Sets; a step output
// should not change shape behind the author's back, so those are errors naming the place.
function toJson(value, path, seen) {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(path + ' is ' + value + ', which JSON cannot hold');
    return value;
  }
  if (typeof value === 'undefined') return null;
  if (typeof value === 'bigint') throw new Error(path + ' is a BigInt (' + value + 'n); return a number or a string');
  if (typeof value !== 'object') throw new Error(path + ' is a ' + typeof value);
  if (seen.has(value)) throw new Error(path + ' refers back to itself (a circular structure)');
  if (typeof value.toJSON === 'function') return toJson(value.toJSON(), path, seen);
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet || value instanceof Promise) {
    throw new Error(path + ' is a ' + value.constructor.name + '; return a plain object or an array');
  }
  seen.add(value);
  let out;
  if (Array.isArray(value)) {
    out = value.map((v, i) => toJson(v, path + '[' + i + ']', seen));
  } else {
    out = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === undefined) continue;
      if (typeof v === 'function' || typeof v === 'symbol') throw new Error(path + '.' + key + ' is a ' + typeof v);
      out[key] = toJson(v, path + '.' + key, seen);
    }
  }
  seen.delete(value);
  return out;
}

function scriptRequire(id) {
  if (typeof id === 'string' && isBuiltin(id)) return require(id);
  throw new Error('require(' + JSON.stringify(id) + '): a script can load only Node.js built-in modules');
}

function pick(holder, name) {
  if (holder === null || holder === undefined) return undefined;
  if (typeof holder !== 'object' && typeof holder !== 'function') return undefined;
  const fn = holder[name];
  return typeof fn === 'function' ? fn : undefined;
}

async function loadHandler(source, name) {
  const ident = /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name);
  // Appended on a line of its own so a trailing line comment cannot swallow it and the script's line numbers stay right.
  const lookup = ident ? '\n;return typeof ' + name + " === 'function' ? " + name + ' : undefined;' : '\n;return undefined;';
  let wrapper;
  try {
    wrapper = vm.compileFunction(source + lookup, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'script.js' });
  } catch (e) {
    const esm = e instanceof SyntaxError && /\bimport\b|\bexport\b|top level bodies of modules/.test(e.message);
    if (!esm) throw e;
  }
  if (wrapper) {
    const module = { exports: {} };
    const declared = wrapper.call(module.exports, module.exports, scriptRequire, module, 'script.js', '.');
    const exported = module.exports;
    if (typeof exported === 'function' && exported.name === name) return exported;
    return pick(exported, name) || declared;
  }
  moduleUrl = 'data:text/javascript;base64,' + Buffer.from(source).toString('base64');
  const ns = await import(moduleUrl);
  return pick(ns, name) || pick(ns.default, name);
}

async function main(input) {
  request = JSON.parse(input);
  const handler = String(request.handler);
  // AWS names a handler in an attached file as file.function; the runner is handed that file's text.
  const name = handler.slice(handler.lastIndexOf('.') + 1);
  const fn = await loadHandler(String(request.script), name);
  if (!fn) return fail('the script has no function named ' + JSON.stringify(name) + ' (inputs.Handler): define it at the top level or export it');
  const value = await fn(request.events, request.context);
  let payload;
  try {
    payload = toJson(value, 'the return value', new Set());
  } catch (e) {
    return fail('the handler\'s return value is not JSON-serialisable: ' + e.message);
  }
  send({ ok: true, payload });
}

// Blocking writes: what the script printed reaches the logs even when the timeout kills it.
for (const stream of [process.stdout, process.stderr]) {
  try {
    stream._handle.setBlocking(true);
  } catch {}
}

process.on('uncaughtException', (e) => {
  logError(e);
  fail(describe(e));
});
process.on('beforeExit', () => fail('the handler returned a promise that never settled (nothing was left for it to wait on)'));

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  main(Buffer.concat(chunks).toString('utf8')).catch((e) => {
    logError(e);
    fail(describe(e));
  });
});
`;
