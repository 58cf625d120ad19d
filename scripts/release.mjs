#!/usr/bin/env node
// The release command (`npm run release`): builds every package, checks what
// each tarball will hold, then publishes every public package whose version
// is not on the registry yet (changesets; pnpm turns `workspace:` ranges into
// real ones). Versions come first, in their own commit: `npx changeset version`.
//
//   npm run release                    publish to the registry npm is configured for
//   npm run release -- --no-git-tag    do not tag the published versions (tests, dry runs)
//   npm run release -- --tag next      publish under another dist-tag
//   npm run release -- --check         build and check only; publish nothing
//
// The registry is npm's (`npm_config_registry`, or `npm_config_@signal:registry`
// for the scope), with credentials from the npm user config, as for `npm publish`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const known = new Set(['--no-git-tag', '--tag', '--check']);
for (const [i, a] of args.entries()) {
  if (!known.has(a) && args[i - 1] !== '--tag') {
    console.error(`release: unknown option ${a}. Options: --no-git-tag, --tag <dist-tag>, --check`);
    process.exit(2);
  }
}
const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}` };

function run(command, commandArgs) {
  console.log(`release: ${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`release: ${command} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

/** What a published package must carry; a missing one is a broken release, so stop before publishing anything. */
function problemsOf(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const problems = [];
  for (const field of ['name', 'version', 'description', 'license', 'repository', 'homepage', 'keywords', 'engines', 'exports']) {
    if (pkg[field] === undefined) problems.push(`package.json has no "${field}"`);
  }
  for (const file of ['README.md', 'LICENSE']) {
    if (!existsSync(join(dir, file))) problems.push(`${file} is missing`);
    else if (!(pkg.files ?? []).includes(file)) problems.push(`"files" does not include ${file}`);
  }
  const targets = (value) => (typeof value === 'string' ? [value] : value !== null && typeof value === 'object' ? Object.values(value).flatMap(targets) : []);
  for (const target of [...targets(pkg.exports ?? {}), ...Object.values(pkg.bin ?? {})]) {
    if (!existsSync(join(dir, target))) problems.push(`${target} (exports/bin) does not exist after the build`);
  }
  for (const [sub, entry] of Object.entries(pkg.exports ?? {})) {
    if (typeof entry === 'object' && entry.default === undefined) problems.push(`exports["${sub}"] has no "default" condition (require() needs it)`);
  }
  return { name: pkg.name, private: pkg.private === true, problems };
}

run('turbo', ['run', 'build', '--output-logs=errors-only']);

const dirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, group, d.name, 'package.json')))
    .map((d) => join(root, group, d.name)),
);
let broken = false;
for (const dir of dirs) {
  const { name, private: isPrivate, problems } = problemsOf(dir);
  if (isPrivate) continue;
  for (const p of problems) console.error(`release: ${name}: ${p}`);
  broken ||= problems.length > 0;
}
if (broken) {
  console.error('release: nothing was published. Fix the packages above first.');
  process.exit(1);
}
console.log(`release: ${dirs.length} packages checked`);

const pending = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
if (pending.length > 0) {
  console.log(`release: note: ${pending.length} changeset(s) not yet versioned (${pending.join(', ')}); they go out with the next \`npx changeset version\`.`);
}
if (args.includes('--check')) process.exit(0);

const publishArgs = ['publish'];
if (args.includes('--no-git-tag')) publishArgs.push('--no-git-tag');
const tag = args[args.indexOf('--tag') + 1];
if (args.includes('--tag') && tag !== undefined) publishArgs.push('--tag', tag);
run('changeset', publishArgs);
