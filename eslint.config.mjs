// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/*
 * Leadflow lint rules.
 *
 * Besides the usual type-checked TypeScript rules, this file enforces the project's layering:
 *   - domain/    pure lifecycle rules: no Node, no database, no Temporal, no I/O, no ambient process state.
 *   - workflows/ Temporal workflow code, bundled into a deterministic sandbox: no Node, no database, and
 *                only type imports from the code that runs outside the sandbox (activities, db, api,
 *                worker, client). Durable time goes through `sleep`/`condition`, not the timer globals.
 */

// Every Node built-in, bare ('fs', 'fs/promises') or with the 'node:' scheme ('node:crypto').
const builtinNames = [...new Set(builtinModules.map((m) => m.replace(/^node:/, '')))]
  .map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  .join('|');

const nodeBuiltins = {
  regex: `^(?:node:.*|(?:${builtinNames})(?:/.*)?)$`,
  caseSensitive: true,
  message: 'Node built-ins are not available here: domain/ is pure and workflows/ runs in the Temporal sandbox.',
};

// The database drivers and anything under them ('pg/lib/…', 'kysely/helpers/postgres', 'pg-pool', …).
const database = {
  regex: '^(?:pg|pg-[^/]+|kysely|kysely-[^/]+)(?:/.*)?$',
  caseSensitive: true,
  message: 'Database access belongs in activities/ and db/, never in domain/ or workflows/.',
};

// The layers that run outside the sandbox, reached by a relative path ('../activities', '../../db/pool').
const outerLayerDirs = ['activities', 'db', 'api', 'worker', 'client', 'encryption'];
const outerLayers = (dirs) => `^(?:\\.\\.?/)+(?:${dirs.join('|')})(?:/.*)?$`;

const restrictedImports = (patterns) => ['error', { patterns }];

// Node globals and CommonJS escape hatches that are off-limits in both inner layers.
const innerRestrictedGlobals = [
  { name: 'process', message: 'No ambient process state (process.env, …): pass configuration in as data.' },
  { name: 'require', message: 'Use a static `import`; require() bypasses the import boundary.' },
  { name: 'module', message: 'CommonJS module object is not available here.' },
  { name: 'exports', message: 'CommonJS exports object is not available here.' },
  { name: '__dirname', message: 'No filesystem paths in domain/ or workflows/.' },
  { name: '__filename', message: 'No filesystem paths in domain/ or workflows/.' },
  { name: 'Buffer', message: 'Buffer is a Node built-in; use Uint8Array / TextEncoder.' },
  { name: 'global', message: 'Use explicit imports, not the Node global object.' },
];

const innerRestrictedSyntax = [
  {
    selector: "MemberExpression[object.name=/^(?:globalThis|global)$/][property.name=/^(?:process|require|Buffer)$/]",
    message: 'No ambient process state or CommonJS loading through globalThis in domain/ or workflows/.',
  },
  {
    selector: 'ImportExpression',
    message: 'No dynamic import() in domain/ or workflows/: use a static import so the boundary rules apply.',
  },
];

const timerMessage = 'Workflows must use durable timers: `sleep()` / `condition()` from @temporalio/workflow.';

export default defineConfig(
  globalIgnores(['**/node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'jest.config.js']),

  js.configs.recommended,

  {
    name: 'leadflow/typescript',
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `const { phone: _phone, ...rest } = x` and `(_url, init) => …` are deliberate.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  {
    name: 'leadflow/domain-boundary',
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictedImports([
        nodeBuiltins,
        database,
        {
          regex: '^@temporalio(?:/.*)?$',
          caseSensitive: true,
          message: 'domain/ is pure: Temporal belongs in workflows/, activities/, worker/ and client/.',
        },
        {
          regex: outerLayers(['workflows', ...outerLayerDirs]),
          caseSensitive: true,
          message: 'domain/ is the innermost layer and must not depend on workflows, activities, db, api, worker or client.',
        },
      ]),
      'no-restricted-globals': ['error', ...innerRestrictedGlobals],
      'no-restricted-syntax': ['error', ...innerRestrictedSyntax],
    },
  },

  {
    name: 'leadflow/workflows-boundary',
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictedImports([
        nodeBuiltins,
        database,
        {
          // @temporalio/workflow and @temporalio/common are the sandbox-safe packages.
          regex: '^@temporalio/(?!(?:workflow|common)(?:/|$)).*$',
          caseSensitive: true,
          allowTypeImports: true,
          message: 'Workflows may only import values from @temporalio/workflow and @temporalio/common (use `import type` for the rest).',
        },
        {
          regex: outerLayers(outerLayerDirs),
          caseSensitive: true,
          allowTypeImports: true,
          message:
            'Workflow code may only import types from activities, db, api, worker or client; call activities through proxyActivities().',
        },
      ]),
      'no-restricted-globals': [
        'error',
        ...innerRestrictedGlobals,
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'].map(
          (name) => ({ name, message: timerMessage }),
        ),
      ],
      'no-restricted-syntax': [
        'error',
        ...innerRestrictedSyntax,
        {
          selector:
            "MemberExpression[object.name=/^(?:globalThis|global)$/][property.name=/^(?:setTimeout|setInterval|setImmediate)$/]",
          message: timerMessage,
        },
      ],
    },
  },

  {
    name: 'leadflow/tests',
    files: ['test/**/*.ts'],
    rules: {
      // jest's asymmetric matchers (expect.any, expect.stringContaining, …) are typed `any`; harmless in tests.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Test doubles implement async interfaces (EventSink, fetch) without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
