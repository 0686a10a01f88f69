// Writes one benchmark's section of docs/BENCHMARKS.md between its own markers
// (<!-- name:begin --> ... <!-- name:end -->), leaving the other sections untouched.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writeDocSection(repo: string, name: string, body: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const docPath = path.join(repo, 'docs/BENCHMARKS.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const section = `${begin}\n${body.trim()}\n${end}`;
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  const next = start >= 0 && stop > start ? `${doc.slice(0, start)}${section}${doc.slice(stop + end.length)}` : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, next);
}
