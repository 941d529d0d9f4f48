import { describe, expect, it } from 'vitest';
import { damagedCheckpointIn, decideAfterDamage } from '../../src/checkpoint/restore-policy.js';

const JOB = 'f'.repeat(32);

describe('restore policy', () => {
  it('recognises every way a restore refuses a checkpoint for its files, matching whole directory names', () => {
    const dirs = ['/cp/j/chk-10', '/cp/j/chk-1'];
    expect(damagedCheckpointIn('Task map (1/2) failed: damaged checkpoint /cp/j/chk-1: state file a-0-keyed does not match its checksum', dirs)).toEqual({
      dir: '/cp/j/chk-1',
      damage: 'damaged checkpoint /cp/j/chk-1: state file a-0-keyed does not match its checksum',
    });
    expect(damagedCheckpointIn('The _metadata of /cp/j/chk-10 is damaged: Unexpected end of JSON input', dirs)?.dir).toBe('/cp/j/chk-10');
    expect(damagedCheckpointIn('/cp/j/chk-1 is not a complete checkpoint or savepoint: it has no _metadata file', dirs)?.dir).toBe('/cp/j/chk-1');
    expect(damagedCheckpointIn('Checkpoint/savepoint /cp/j/chk-10 is incomplete: state file x is missing', dirs)?.dir).toBe('/cp/j/chk-10');
    expect(damagedCheckpointIn('TaskManager lost', dirs)).toBeUndefined();
    expect(damagedCheckpointIn('damaged checkpoint /cp/j/chk-2: state file x', dirs)).toBeUndefined();
  });

  it('falls back to the newest remaining checkpoint, else fails with one line naming the checkpoint and the damage, unless opted in', () => {
    const damaged = { checkpointId: 4, dir: '/cp/j/chk-4' };
    const damage = 'damaged checkpoint /cp/j/chk-4: state file a-0-keyed does not match its checksum';
    const fallback = decideAfterDamage(JOB, damaged, damage, [{ checkpointId: 2, dir: '/cp/j/chk-2' }, { checkpointId: 3, dir: '/cp/j/chk-3' }], false);
    expect(fallback).toMatchObject({ kind: 'fallback', next: { checkpointId: 3 } });
    expect(fallback.message).toContain('falling back to checkpoint 3');

    const fail = decideAfterDamage(JOB, damaged, damage, [], false);
    expect(fail.kind).toBe('fail');
    expect(fail.message).toContain(`Checkpoint 4 of job ${JOB} cannot be restored: ${damage}`);
    expect(fail.message).toContain('execution.checkpointing.restore-from-empty-on-damage');
    expect(fail.message).not.toContain('\n');

    const empty = decideAfterDamage(JOB, damaged, damage, [], true);
    expect(empty.kind).toBe('empty');
    expect(empty.message).toContain('EMPTY STATE');
  });
});
