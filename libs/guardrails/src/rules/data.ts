import type { GuardrailRule } from '../types';

/** Rules for the data layer. */
export const dataRules: GuardrailRule[] = [];
