import type { GuardrailRule } from '../types';

/** Rules for the edge layer. */
export const edgeRules: GuardrailRule[] = [];
