/** `npm run docs:errors`: writes docs/errors.md from the error-code catalogues. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderErrorsDoc } from '../src/report/errors-doc.js';

// Compiled to dist/scripts/: the repository root is two folders up.
const target = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
writeFileSync(target, renderErrorsDoc());
process.stdout.write(`wrote ${target}\n`);
