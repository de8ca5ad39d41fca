import type { GuardrailRule } from '../types';

/** Rules for the compute layer. */
export const computeRules: GuardrailRule[] = [];
