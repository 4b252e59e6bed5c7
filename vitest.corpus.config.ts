import {defineConfig} from 'vitest/config'

// The corpus suite reads ../shared/corpus in place (those captures belong to other projects and
// are never copied into this repository).
export default defineConfig({
  test: {
    include: ['test/corpus/**/*.test.ts'],
    disableConsoleIntercept: true,
    testTimeout: 300_000,
    pool: 'forks',
  },
})
