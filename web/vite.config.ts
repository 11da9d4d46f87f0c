// `npm run dev`: the app on http://localhost:5173 with live reload; /api/ and /pegasus/ are
// proxied to the running suite (APIBUS_URL, default http://localhost:8000 — `make run`), so
// the session cookies and X-CSRFToken work as they do when the gateway serves the built app.
// `npm run build` (make web): into the gateway's static folder (APIBUS_STATIC_DIR, default
// ../static): index.html and app/; static/docs/ is left alone.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const suite = process.env.APIBUS_URL ?? 'http://localhost:8000';

export default defineConfig({
  resolve: { alias: { 'api-client': here('../api-client/src/index.ts') } },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    fs: { allow: [here('..')] },
    proxy: { '/api/': suite, '/pegasus/': suite },
  },
  build: {
    outDir: process.env.APIBUS_STATIC_DIR ?? here('../static'),
    emptyOutDir: false,
    assetsDir: 'app',
  },
});
