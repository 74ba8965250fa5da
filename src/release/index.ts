/**
 * The registry's write commands with every gate wired in: register (the model is
 * loaded and checked through models/ and check/), promote and register --alias
 * (a policy's or the caller's checklist runs on the version), policy (a checklist
 * is validated before it is stored). The registry cannot do this itself: models/
 * and the checklist sit above it. A library caller gets exactly the CLI's gates.
 */
import type { RegisterOptions, RegisterResult } from '../registry/register.js';
import { promote as moveAlias, type AliasMoveResult, type PromoteOptions } from '../registry/aliases.js';
import {
  aliasPolicy as setAliasPolicy,
  type ChecklistRunner,
  type PolicyOptions,
  type PolicyResult,
} from '../registry/policy.js';

/** The checklist capability, loaded only when a checklist is validated or run (`registry list` never loads it). */
const checklists: ChecklistRunner = {
  validate: async (file) => (await import('../checklist/gate.js')).checklistRunner.validate(file),
  run: async (file, model, options) => (await import('../checklist/gate.js')).checklistRunner.run(file, model, options),
};

export type RegisterModelOptions = Omit<RegisterOptions, 'checklists'>;
export type PromoteModelOptions = Omit<PromoteOptions, 'checklists'>;
export type AliasPolicyOptions = Omit<PolicyOptions, 'checklists'>;

/** `mlops registry register`: check the file (it must decode, be well formed and load), store it, move `alias` through its gates. */
export async function registerModel(options: RegisterModelOptions): Promise<RegisterResult> {
  const { registerCheckedModel } = await import('../check/registrable.js');
  return registerCheckedModel({ ...options, checklists });
}

/** `mlops registry promote`: point `to` at `ref` once every gate (stored policy, `require`, `checklist`) passed. */
export function promote(options: PromoteModelOptions): Promise<AliasMoveResult> {
  return moveAlias({ ...options, checklists });
}

/** `mlops registry policy`: show, set or clear the gates of an alias (a checklist is validated before it is stored). */
export function aliasPolicy(options: AliasPolicyOptions): Promise<PolicyResult> {
  return setAliasPolicy({ ...options, checklists });
}
