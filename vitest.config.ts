import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/corpus/**', 'node_modules/**'],
    disableConsoleIntercept: true,
    testTimeout: 60_000,
    pool: 'forks',
  },
})
