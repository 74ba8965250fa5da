/**
 * The checklist as a promotion gate: what the registry calls when a policy or
 * --checklist asks for one. The registry cannot import the checklist (it sits
 * below it), so src/release/ hands this runner to promote, register and policy.
 */
import type { ChecklistRunner } from '../registry/policy.js';

export const checklistRunner: ChecklistRunner = {
  async validate(file) {
    const { loadConfig } = await import('./config.js');
    await loadConfig(file);
  },
  async run(file, model, options) {
    const { runChecklist } = await import('./index.js');
    const { loadConfig } = await import('./config.js');
    const checklist = await loadConfig(file);
    // A promotion can run several checklists (a policy's and --checklist): each takes the sign-offs that are its own.
    const acked = (options.acks ?? []).filter((a) => checklist.checks.some((c) => c.id === a && c.type === 'manual'));
    const result = await runChecklist({ config: file, checklist, model, registry: options.registry, acks: acked });
    return {
      acked,
      passed: result.passed,
      counts: result.counts,
      not_passed: result.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id} (${c.status})`),
    };
  },
};
