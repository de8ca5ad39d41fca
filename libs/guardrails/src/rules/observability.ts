import type { GuardrailRule } from '../types';

/** Rules for the observability layer. */
export const observabilityRules: GuardrailRule[] = [];
