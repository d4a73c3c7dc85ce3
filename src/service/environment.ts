/** What the environment switches ask for. */
export interface EnvironmentMode {
  /** BUILDER_DISABLE_RESILIENCE: break and limit nothing, still count. */
  readonly passThrough: boolean;
  /** BUILDER_STRICT_RESILIENCE → 'critical', BUILDER_RELAXED_RESILIENCE → 'relaxed'. */
  readonly defaultPreset: 'critical' | 'relaxed' | undefined;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['', '0', 'false', 'no', 'off']);

function flag(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const raw: unknown = env[name];
  if (raw === undefined) return false;
  if (typeof raw !== 'string') throw new RangeError(`${name}: expected a string such as "1" or "0", got ${raw === null ? 'null' : typeof raw}`);
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new RangeError(`${name}: expected 1/0, true/false, yes/no or on/off, got ${JSON.stringify(raw)}`);
}

/**
 * Reads the specification's switches. Precedence when several are set:
 * BUILDER_DISABLE_RESILIENCE (pass-through; the default policy is kept for the statistics), then
 * BUILDER_STRICT_RESILIENCE (critical), then BUILDER_RELAXED_RESILIENCE (relaxed).
 */
export function environmentMode(env: Readonly<Record<string, string | undefined>>): EnvironmentMode {
  const passThrough = flag(env, 'BUILDER_DISABLE_RESILIENCE');
  const strict = flag(env, 'BUILDER_STRICT_RESILIENCE');
  const relaxed = flag(env, 'BUILDER_RELAXED_RESILIENCE');
  return { passThrough, defaultPreset: strict ? 'critical' : relaxed ? 'relaxed' : undefined };
}
