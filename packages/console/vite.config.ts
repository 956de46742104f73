import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

// The server mounts the built app at /console/; `npm run dev` proxies the API to a running server
// (CAPSTAN_CONSOLE_API, default the port `npm start` uses) so cookies stay same-origin.
const api = process.env.CAPSTAN_CONSOLE_API ?? 'http://127.0.0.1:9700';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  resolve: {
    // Workspace packages as their TypeScript sources, as everywhere else in the repo: the shell
    // bundles @capstan/wire/session without a prior `tsc -b`.
    conditions: ['capstan-src', ...defaultClientConditions],
    // The session library's only Node import; see src/shims/crypto.ts (Buffer: src/shims/buffer.ts).
    alias: [{ find: /^node:crypto$/, replacement: fileURLToPath(new URL('./src/shims/crypto.ts', import.meta.url)) }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/capstan': { target: api, changeOrigin: false } },
  },
});
