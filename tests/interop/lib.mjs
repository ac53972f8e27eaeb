// Shared by the interop tests: where sm2tool is, how to run it, random messages.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// JIANGUAN_SM2TOOL, or the release build's (cmake -DJG_TESTS=ON builds it).
export const tool = process.env.JIANGUAN_SM2TOOL
  ? path.resolve(process.env.JIANGUAN_SM2TOOL)
  : path.resolve(here, '../../build/sm2tool');

if (!existsSync(tool)) {
  throw new Error(`sm2tool not found at ${tool}: build with -DJG_TESTS=ON or set JIANGUAN_SM2TOOL`);
}

// Exit statuses of sm2tool (tests/interop/sm2tool.c).
export const OK = 0;
export const DENIED = 1;
export const INVALID = 2;

// Run sm2tool; never throws on a non-zero exit, but fails loudly on a crash (a signal).
export function run(...args) {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.signal !== null) {
    throw new Error(`sm2tool ${args[0]} died of ${r.signal}: ${r.stderr}`);
  }
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

// Run sm2tool and return its output, failing unless it succeeded.
export function ok(...args) {
  const r = run(...args);
  if (r.status !== OK) throw new Error(`sm2tool ${args.join(' ')} -> ${r.status}: ${r.err}`);
  return r.out;
}

const HANZI = '福建省建设工程质量安全监督站闽侯县住房和城乡建设局整改通知书施工单位监理项目经理身份证号码';

// Random printable ASCII (no NUL, so it can be an argument), 1..max characters.
export function ascii(max = 100) {
  const n = randomInt(1, max + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(randomInt(0x20, 0x7f));
  return s;
}

// Random Chinese text with some ASCII and a 4-byte character (UTF-8 of 1 to 4 bytes each).
export function chinese(max = 40) {
  const n = randomInt(1, max + 1);
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = randomInt(0, 10);
    s += k < 7 ? HANZI[randomInt(0, HANZI.length)] : k < 9 ? ascii(1) : '𠮷';
  }
  return s;
}

export const hex = (s) => Buffer.from(s, 'utf8').toString('hex');
export const randomHex = (n) => randomBytes(n).toString('hex');
