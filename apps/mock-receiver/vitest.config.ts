import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    globalSetup: ['./test/build.global.ts'],
    testTimeout: 15_000,
    hookTimeout: 30_000,
  },
});
