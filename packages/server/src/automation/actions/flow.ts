import { holds, type Condition } from '../conditions.js';
import { StepFailure } from '../errors.js';
import type { Action } from './types.js';

/** aws:branch: the first Choice that holds names the next step; else Default; else the step fails. */
export const branch: Action = {
  repeatable: () => true,
  async run(ctx) {
    const choices = (ctx.inputs.Choices ?? []) as (Condition & { NextStep?: string })[];
    for (const choice of choices) {
      const { NextStep: next, ...condition } = choice;
      if (holds(condition)) return { status: 'Success', next: String(next), outputs: {} };
    }
    if (typeof ctx.inputs.Default === 'string') return { status: 'Success', next: ctx.inputs.Default };
    throw new StepFailure('No choice of this aws:branch step matched, and it has no Default.', 'Verification');
  },
};

/** aws:updateVariable: sets a runbook variable for the steps after it. */
export const updateVariable: Action = {
  repeatable: () => true,
  async run(ctx) {
    const name = String(ctx.inputs.Name).replace(/^variable:/, '');
    return { status: 'Success', variables: { [name]: ctx.inputs.Value }, outputs: {} };
  },
};

/**
 * aws:loop: runs its Steps once per item of Iterators, or again while LoopCondition holds after
 * an iteration, at most MaxIterations (100) times. The engine runs the inner steps; this decides
 * whether there is another iteration.
 */
export const loop: Action = {
  repeatable: () => true,
  async run(ctx) {
    const max = Number(ctx.inputs.MaxIterations ?? 100);
    const done = Number(ctx.state.iteration ?? 0);
    const outputs = { CurrentIteration: done, ...(ctx.state.iteratorValue !== undefined ? { CurrentIteratorValue: ctx.state.iteratorValue } : {}) };
    if (ctx.inputs.Iterators !== undefined) {
      const items = Array.isArray(ctx.inputs.Iterators) ? ctx.inputs.Iterators : [ctx.inputs.Iterators];
      if (done >= items.length || done >= max) return { status: 'Success', outputs };
      ctx.state.iteration = done + 1;
      ctx.state.iteratorValue = items[done];
      return { status: 'Enter', iteration: done + 1, iteratorValue: items[done] };
    }
    if (done > 0 && !holds((ctx.inputs.LoopCondition ?? {}) as Condition)) return { status: 'Success', outputs };
    if (done >= max) return { status: 'Success', outputs };
    ctx.state.iteration = done + 1;
    return { status: 'Enter', iteration: done + 1 };
  },
};
