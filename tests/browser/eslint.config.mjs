// The page's JavaScript checked before the browser tests: every name defined or imported, nothing unused.
// (`./x test` runs it from www/ with `-c` naming this file: the page's files live there.)
import globals from 'globals';

export default [
  {
    files: ['js/**/*.js'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2024, globals: { ...globals.browser, ...globals.worker } },
    rules: { 'no-undef': 'error', 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
  {
    files: ['sw.js'],
    languageOptions: { sourceType: 'script', ecmaVersion: 2024, globals: globals.serviceworker },
    rules: { 'no-undef': 'error', 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
];
