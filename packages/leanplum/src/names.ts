import { PayloadValidationError } from '@signal/core';

/** Leanplum's naming rules for events, states, user attributes and parameters (its API limits page). */
export const MAX_NAME_LENGTH = 139;

export type NameKind = 'event' | 'parameter' | 'user attribute';

const codes: Record<NameKind, string> = { event: 'invalid_event_name', parameter: 'invalid_param_name', 'user attribute': 'invalid_attribute_name' };

/** Each rule says what is wrong with a name, or nothing. */
const rules: ((name: string) => string | undefined)[] = [
  (n) => (n.length < 1 || n.length > MAX_NAME_LENGTH ? `must be 1–${MAX_NAME_LENGTH} characters (it has ${n.length})` : undefined),
  (n) => (/[,|"{}]/.test(n) ? 'may not contain , | " { or }' : undefined),
  (n) => (/[\t\n\r]/.test(n) ? 'may not contain tabs or line breaks' : undefined),
  (n) => (/^[0-9]+(\.[0-9]+)?$/.test(n) ? 'may not be purely numeric' : undefined),
  (n) => (n.startsWith('.') || n.startsWith('-') ? 'may not start with . or -' : undefined),
  (n) => (n.endsWith('/') ? 'may not end with /' : undefined),
];

/** Rejects the one event whose name Leanplum would refuse, naming the rule it breaks. */
export function assertName(kind: NameKind, name: string): void {
  for (const rule of rules) {
    const broken = rule(name);
    if (broken === undefined) continue;
    const shown = name.length > 60 ? `${JSON.stringify(name.slice(0, 60))}…` : JSON.stringify(name);
    throw new PayloadValidationError(`Leanplum ${kind} name ${shown} ${broken}; rename it in the mapping`, codes[kind]);
  }
}
