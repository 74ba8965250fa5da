/** `npm run bench`: every benchmark, one after the other (figures go in README's performance section). */
import { benchRegistry } from './registry.js';

await benchRegistry();
