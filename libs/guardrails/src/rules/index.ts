import type { GuardrailRule } from '../types';
import { genericRules } from './generic';
import { networkRules } from './network';
import { dataRules } from './data';
import { computeRules } from './compute';
import { edgeRules } from './edge';
import { identityRules } from './identity';
import { observabilityRules } from './observability';
import { iamRules } from './iam';

export { genericRules, networkRules, dataRules, computeRules, edgeRules, identityRules, observabilityRules, iamRules };

/** Every rule of the platform, in the order they are reported. */
export const ALL_RULES: readonly GuardrailRule[] = [...genericRules, ...networkRules, ...dataRules, ...computeRules, ...edgeRules, ...identityRules, ...observabilityRules, ...iamRules];

const ids = ALL_RULES.map((r) => r.id);
const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
if (duplicate) throw new Error(`guardrails: rule id ${duplicate} is defined twice`);
