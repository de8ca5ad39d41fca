// One flat config for the workspace: typescript-eslint's recommended rules without type information,
// so lint stays quick; typecheck (tsc --noEmit) is a separate cached target.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/cdktf.out/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Tests inspect synthesized Terraform JSON, whose shape is data, not a type worth declaring.
    files: ['**/*.test.ts', '**/test/**/*.ts', 'libs/guardrails/src/testing.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
