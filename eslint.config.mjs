import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const noApiByDynamicImport = [
  {
    selector: 'ImportExpression[source.value=/^\\.{1,2}\\/(.*\\/)?api(\\/|$)/]',
    message:
      'Nothing imports the API: call the use case, or start the API as a process (bench/api-process.ts).',
  },
  {
    selector: "CallExpression[callee.name='require'][arguments.0.value=/^\\.{1,2}\\/(.*\\/)?api(\\/|$)/]",
    message:
      'Nothing imports the API: call the use case, or start the API as a process (bench/api-process.ts).',
  },
];

// A worker evaluates the workflows' modules once and shares them among every workflow it runs
// (worker/workflow-bundle.ts): state at module scope would pass from one workflow to another.
const sharedModuleState =
  'Module scope is shared by every workflow a worker runs: keep state inside the workflow.';
const noModuleState = [
  { selector: "Program > VariableDeclaration[kind!='const']", message: sharedModuleState },
  {
    selector: "Program > ExportNamedDeclaration > VariableDeclaration[kind!='const']",
    message: sharedModuleState,
  },
  {
    selector: 'Program > VariableDeclaration > VariableDeclarator > NewExpression.init',
    message: sharedModuleState,
  },
  {
    selector:
      'Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > NewExpression.init',
    message: sharedModuleState,
  },
  { selector: 'Program > ClassDeclaration PropertyDefinition[static=true]', message: sharedModuleState },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'var/**',
      'coverage/**',
      'dist/**',
      'db/migrations/sqlite/**',
      'db/migrations/postgresql/**',
      'web/dist/**',
      'packages/*/dist/**',
      'web/.generated/**',
      'web/src/api/openapi.gen.ts',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code is replayed and must be deterministic: no I/O, no Node APIs, no database, no API,
    // and activities only as types (their implementations run in the worker, not the workflow sandbox).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows cannot use Node built-ins.' })),
          patterns: [
            {
              group: ['**/db', '**/db/**', '@mikro-orm/*'],
              message: 'Workflows reach the database through activities.',
            },
            {
              group: ['**/api', '**/api/**', '!@opentelemetry/api', 'koa', '@koa/*'],
              message: 'Nothing imports the API.',
            },
            {
              group: ['**/config/**', '**/worker/**'],
              message: 'Workflows get settings as input, not from the environment.',
            },
            {
              group: ['stripe', '@keycloak/*', 'lago-javascript-client', 'pino'],
              message: 'Workflows call outside systems through activities.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Import activities as types only (proxyActivities<Activities>).',
            },
            {
              group: ['**/services', '**/services/**', '**/integrations', '**/integrations/**'],
              message: 'Workflows reach use cases and outside systems through activities.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop with continue-as-new.' },
        { name: 'process', message: 'Workflows cannot read the process environment.' },
      ],
    },
  },
  {
    // The gateway client is published on its own: Node's built-ins and its own files, nothing of the engine.
    files: ['packages/gateway-client/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:|\\./|\\.\\./(?!\\.\\.))',
              message: 'The gateway client depends on nothing but Node: no packages, no engine code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'domain/ is pure TypeScript shared with workflows.',
          })),
          patterns: [
            {
              group: [
                '**/db/**',
                '**/api/**',
                '**/activities/**',
                '**/config/**',
                '**/services',
                '**/services/**',
                '**/workflows',
                '**/workflows/**',
                '**/integrations',
                '**/integrations/**',
              ],
              message: 'domain/ depends on nothing.',
            },
          ],
        },
      ],
    },
  },
  {
    // The use cases: called by the API, the command-line tools and the benchmarks alike, so they know
    // nothing of HTTP.
    files: ['services/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api', '**/api/**', '!@opentelemetry/api', 'koa', '@koa/*'],
              message: 'Use cases know nothing of HTTP.',
            },
            { group: ['**/worker', '**/worker/**'], message: 'Use cases reach workflows through Temporal.' },
            {
              group: ['**/activities', '**/activities/**'],
              message:
                'Use cases run in the API and the tools, not the worker: shared code goes in integrations/, db/ or domain/.',
            },
            {
              // Signal, Update and query definitions and workflow ids are the workflows' contract with
              // their callers; their code runs in the worker.
              regex: '^\\.{1,2}/(.*/)?workflows(/(?!(ids|messages)$).*)?$',
              allowTypeImports: true,
              message:
                "Use cases reach workflows through Temporal: import workflows' ids and messages, and workflows themselves as types only (workflowType).",
            },
          ],
        },
      ],
    },
  },
  {
    // Activities run in the worker: the database and outside systems, never the API or the use cases.
    files: ['activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api', '**/api/**', '!@opentelemetry/api'], message: 'Nothing imports the API.' },
            { group: ['**/services', '**/services/**'], message: 'Activities do not call use cases.' },
            {
              group: ['**/workflows', '**/workflows/**'],
              allowTypeImports: true,
              message: 'Activities know workflows by their types only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The clients of Stripe, Keycloak and Lago and what both activities and use cases do with them (the
    // catalog sync, the realm's user profile): below both, so neither imports the other.
    files: ['integrations/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api', '**/api/**', '!@opentelemetry/api'], message: 'Nothing imports the API.' },
            {
              group: ['**/services', '**/services/**', '**/activities', '**/activities/**'],
              message: 'integrations/ sits below the use cases and the activities.',
            },
            {
              group: ['**/workflows', '**/workflows/**', '**/worker', '**/worker/**'],
              message: 'integrations/ sits below workflows and the worker.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['db/**/*.ts', 'config/**/*.ts', 'telemetry/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api', '**/api/**', '!@opentelemetry/api'], message: 'Nothing imports the API.' },
            {
              group: ['**/services', '**/services/**'],
              message: 'db/, config/ and telemetry/ sit below the use cases.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              message: 'db/, config/ and telemetry/ sit below activities.',
            },
            {
              group: ['**/workflows', '**/workflows/**'],
              message: 'db/, config/ and telemetry/ sit below workflows.',
            },
          ],
        },
      ],
    },
  },
  {
    // import() and require() escape the import rules above: nothing outside api/ (tests aside, which test the
    // API) loads the API that way either.
    files: [
      'activities/**/*.ts',
      'bench/**/*.ts',
      'config/**/*.ts',
      'db/**/*.ts',
      'integrations/**/*.ts',
      'services/**/*.ts',
      'telemetry/**/*.ts',
      'tools/**/*.ts',
      'tools/**/*.js',
      'worker/**/*.ts',
    ],
    rules: { 'no-restricted-syntax': ['error', ...noApiByDynamicImport] },
  },
  {
    files: ['domain/**/*.ts', 'workflows/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...noApiByDynamicImport, ...noModuleState] },
  },
  {
    // React's rules of hooks for the web app's components (the classic two; the React Compiler's are not
    // used, as the app is not compiled by it).
    files: ['web/**/*.tsx', 'web/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // A promise the app drops is a notice shown before the rows it announces, or an error nobody sees: a
    // reload is awaited or handed back, and a fire-and-forget call says so with `void`.
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    languageOptions: {
      parserOptions: { project: './web/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // The web app runs in the browser and talks to the engine over HTTP only, with types generated from
    // /openapi.json (tools/web.js); no engine code reaches the bundle.
    files: ['web/**/*.ts', 'web/**/*.tsx', 'web/**/*.mts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything above web/src (from web/src or web/src/pages) is outside the app.
              group: ['../../**', '../../../**'],
              message: 'The web app reaches the engine over HTTP only (src/api/client.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['worker/**/*.ts', 'tools/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api', '**/api/**', '!@opentelemetry/api'],
              message: 'Nothing imports the API: call the use case.',
            },
          ],
        },
      ],
    },
  },
);
