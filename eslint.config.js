// ESLint flat config: typescript-eslint strictTypeChecked plus the dependency rule of STYLE.md §1.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Builds a no-restricted-imports rule that bans the given module patterns with a reason. */
const ban = (patterns) => ['error', { patterns: patterns.map(([group, message]) => ({ group, message })) }];

const NOT_DOMAIN = [
  '**/reconciler/**',
  '**/sources/**',
  '**/store/**',
  '**/app/**',
  '**/xui/**',
  '**/db/**',
  '**/bot/**',
  '**/webhooks/**',
  '**/metrics/**',
  '**/config/**',
  '**/shared/**',
  '**/cli/**',
  '**/links/**',
  '**/sub/**',
  '**/adoption/**',
  '**/simulator/**',
  '**/net/**',
];

/** The simulated panel: production code never imports it (only src/demo, bench and tests). */
const SIMULATOR = [
  ['**/simulator/**'],
  'production code never imports the simulator (only src/demo, bench, tests)',
];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.tools', 'coverage', 'bin', 'scratch', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      curly: 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/demo/**', 'src/simulator/**'],
    rules: { 'no-restricted-imports': ban([SIMULATOR]) },
  },
  {
    files: ['src/simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [...NOT_DOMAIN.filter((p) => p !== '**/simulator/**'), '**/domain/**', '**/demo/**'],
          'the simulator shares no code with keywarden: a fake built from the code under test agrees with its bugs',
        ],
        [['pg', 'pg-listen', 'undici', 'grammy', 'pino'], 'the simulator is a plain node:http server'],
      ]),
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          ['node:*', 'pg', 'pg-listen', 'undici', 'grammy', 'prom-client', 'p-queue', 'pino'],
          'domain is pure: no I/O, no packages',
        ],
        [NOT_DOMAIN, 'domain imports only domain'],
      ]),
    },
  },
  {
    files: ['src/adoption/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          ['node:*', 'pg', 'pg-listen', 'undici', 'grammy', 'prom-client', 'p-queue', 'pino'],
          'the adoption planner is pure: no I/O, no packages',
        ],
        [NOT_DOMAIN, 'the adoption planner imports only domain'],
      ]),
    },
  },
  {
    files: ['src/reconciler/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          ['pg', 'pg-listen', 'undici', 'grammy', 'prom-client', 'pino'],
          'the reconciler talks to the world through ports',
        ],
        [
          [
            '**/sources/**',
            '**/store/**',
            '**/app/**',
            '**/xui/**',
            '**/db/**',
            '**/bot/**',
            '**/webhooks/**',
            '**/metrics/**',
          ],
          'adapters depend on the reconciler, not the other way',
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['src/sources/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          ['pg', 'undici', 'grammy', 'prom-client'],
          'sources only produce requests; the database side of a pass is src/store',
        ],
        [
          [
            '**/store/**',
            '**/app/**',
            '**/db/**',
            '**/xui/**',
            '**/bot/**',
            '**/webhooks/**',
            '**/metrics/**',
            '**/cli/**',
          ],
          'sources map events to requests; they read and write nothing themselves',
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          ['undici', 'grammy', 'pg-listen', 'prom-client'],
          "the reconciler's PostgreSQL adapter talks to PostgreSQL only",
        ],
        [
          [
            '**/sources/**',
            '**/app/**',
            '**/xui/**',
            '**/bot/**',
            '**/webhooks/**',
            '**/metrics/**',
            '**/cli/**',
          ],
          "the store implements the reconciler's ports; composition is src/app",
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['src/bot/**/*.ts', 'src/webhooks/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [
            'undici',
            'pg-listen',
            '**/xui/**',
            '**/reconciler/**',
            '**/sources/**',
            '**/store/**',
            '**/app/**',
            '**/sub/**',
          ],
          'writers write rows; they never call a panel',
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['src/console/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [
            'undici',
            'pg-listen',
            'grammy',
            '**/xui/**',
            '**/reconciler/**',
            '**/sources/**',
            '**/store/**',
            '**/cli/**',
          ],
          'the console reads and writes rows through db; it reaches a panel only through src/panels checks',
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['src/links/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [
            'node:*',
            'pg',
            'pg-listen',
            'undici',
            'grammy',
            'prom-client',
            'p-queue',
            'pino',
            'yaml',
            'qrcode',
          ],
          'links are pure: rows in, connection descriptions out',
        ],
        [NOT_DOMAIN.filter((p) => p !== '**/links/**'), 'links import only domain'],
      ]),
    },
  },
  {
    files: ['src/sub/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [
            'undici',
            'pg-listen',
            'grammy',
            '**/xui/**',
            '**/reconciler/**',
            '**/sources/**',
            '**/store/**',
            '**/app/**',
            '**/bot/**',
            '**/webhooks/**',
            '**/metrics/**',
          ],
          'the subscription service reads rows and answers HTTP; it never calls a panel',
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['src/xui/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [
            'pg',
            'pg-listen',
            'grammy',
            '**/db/**',
            '**/bot/**',
            '**/webhooks/**',
            '**/sources/**',
            '**/store/**',
            '**/app/**',
          ],
          'xui knows panels, nothing about subscriptions',
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['src/payments/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [
            'pg',
            'pg-listen',
            'grammy',
            '**/db/**',
            '**/bot/**',
            '**/webhooks/**',
            '**/xui/**',
            '**/reconciler/**',
            '**/sources/**',
            '**/cli/**',
          ],
          'payments only calls provider APIs: no database, no Telegram, no panels',
        ],
      ]),
    },
  },
  {
    files: ['src/shared/**/*.ts', 'src/config/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          NOT_DOMAIN.filter((p) => p !== '**/shared/**' && p !== '**/config/**').concat(['**/domain/**']),
          'leaf module',
        ],
      ]),
    },
  },
  {
    files: ['src/net/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          ['pg', 'pg-listen', 'undici', 'grammy', 'prom-client', 'p-queue', 'pino'],
          'net is address rules on node:net: no packages',
        ],
        [
          NOT_DOMAIN.filter((p) => p !== '**/net/**' && p !== '**/config/**'),
          'net imports only domain and config; every listener imports it',
        ],
      ]),
    },
  },
  {
    files: ['src/panels/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        [
          [
            'pg',
            'pg-listen',
            'grammy',
            '**/bot/**',
            '**/webhooks/**',
            '**/sources/**',
            '**/metrics/**',
            '**/cli/**',
          ],
          'panel administration checks panels and goes through db; the CLI and the console call it',
        ],
        SIMULATOR,
      ]),
    },
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
