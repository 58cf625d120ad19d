import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/.tmp/**', 'bench/.build/**', 'bench/out/**', '**/node_modules/**', 'data/**', '**/data/**', 'apps/runner/src/debugger/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      // Node's globals (TypeScript files get them from @types/node; plain .mjs scripts need them named).
      globals: Object.fromEntries(
        ['process', 'console', 'URL', 'URLSearchParams', 'Buffer', 'fetch', 'performance', 'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder', 'structuredClone', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'globalThis'].map((name) => [name, 'readonly']),
      ),
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: "ThrowStatement > NewExpression[callee.name='Error']", message: 'Throw a typed error class from @signal/core (see errors.ts), not a plain Error.' }],
    },
  },
  { files: ['**/test/**', 'bench/**', 'scripts/**'], rules: { 'no-restricted-syntax': 'off' } },
);
