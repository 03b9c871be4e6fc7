import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Tauri serves the files itself; relative paths keep them working under its custom protocol.
  base: './',
  clearScreen: false,
  build: {
    target: 'es2022',
    // One CSS file and no inline styles or scripts, so the strict CSP needs no exceptions.
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
