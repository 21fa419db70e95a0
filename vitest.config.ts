import { defineConfig } from 'vitest/config';

// Four projects: unit (pure, no I/O), http (xui against MockAgent), integration (real PostgreSQL,
// fake panels, fake Bot API) and contract (the panel contract suite against fakes and, when
// configured, a real panel). `npm test` runs them all.
export default defineConfig({
  test: {
    reporters: ['default', './tests/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      { test: { name: 'http', include: ['tests/http/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/support/global-database.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The web console in Debian's chromium (playwright-core); .ci/run installs the browser.
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          globalSetup: ['tests/support/global-database.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
      {
        test: {
          name: 'contract',
          include: ['tests/contract/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
