import { defineConfig } from 'vitest/config';

// Workspace packages (@kv/*) resolve through the "@kv/source" export condition to src/*.ts,
// so tests need no build. Node tests use Vite's ssr resolver, so the condition goes in
// ssr.resolve.conditions; the other entries are Vite's default server conditions.
export default defineConfig({
  ssr: { resolve: { conditions: ['@kv/source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
