// Prints vitest's JSON reports (one or more) as one plain closing line CI tools can read:
// "vitest: N passed, N failed, N skipped". Exits non-zero if any test failed or none ran.
import { readFileSync } from 'node:fs';

const reports = process.argv.slice(2).map((file) => JSON.parse(readFileSync(file, 'utf8')));
const sum = (key) => reports.reduce((n, r) => n + r[key], 0);
const skipped = sum('numPendingTests') + sum('numTodoTests');
console.log(`vitest: ${sum('numPassedTests')} passed, ${sum('numFailedTests')} failed, ${skipped} skipped`);
process.exit(sum('numFailedTests') > 0 || sum('numTotalTests') === 0 ? 1 : 0);
