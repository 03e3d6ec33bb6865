// Lint rules: ESLint's and typescript-eslint's recommended sets, and the layer order of src/ folders.
// Formatting is Prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './scripts/eslint-layers.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'contract/', 'src/client/api-types.ts', '.test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // src/ folders import only downwards (see scripts/eslint-layers.js and the README's architecture).
  { files: ['src/**/*.ts'], plugins: { layers: layersPlugin }, rules: { 'layers/folder-order': 'error' } },
);
