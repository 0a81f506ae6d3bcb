/** The load options form checks with contract.ts's rules; what it sends must pass the core's schema. */
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { LOAD_OPTION_RULES } from '../../electron/shared/contract';
import { LoadOptionsSchema } from '../../electron/shared/contract-schemas';
import { parseLoadOptions } from '../../renderer/src/load-options';

describe('parseLoadOptions', () => {
  it('the form refuses what the core would refuse, and sends what it accepts', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('', 'off', 'max', '0.5', '2'),
        fc.string({ maxLength: 8 }),
        (contextLength, gpuOffload, ttlMinutes) => {
          const form = parseLoadOptions({ contextLength, gpuOffload, ttlMinutes });
          if (form.ok) expect(v.safeParse(LoadOptionsSchema, form.value).success).toBe(true);
          else expect(Object.keys(form.errors).length).toBeGreaterThan(0);
        },
      ),
    );
    expect(parseLoadOptions({ contextLength: '100', gpuOffload: 'max', ttlMinutes: '' })).toEqual({
      ok: false,
      errors: { contextLength: LOAD_OPTION_RULES.contextLength.message },
    });
    expect(parseLoadOptions({ contextLength: '8192', gpuOffload: '0.5', ttlMinutes: '10' })).toEqual({
      ok: true,
      value: { contextLength: 8192, gpuOffload: 0.5, ttlSeconds: 600 },
    });
  });
});
