import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// In development Vite serves the dashboard and proxies the API (and its SSE streams) to the
// API process; in production the API serves apps/web/dist itself, so all requests are same-origin
// and the session cookie (SameSite=Strict) flows without CORS.
const api = process.env.ARCHWAY_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
});
