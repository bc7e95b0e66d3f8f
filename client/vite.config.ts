import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

export default defineConfig({
  plugins: [solid()],
  server: {
    port: 5173,
    proxy: { '/trpc': 'http://127.0.0.1:4000', '/media': 'http://127.0.0.1:4000' },
  },
  build: {
    target: 'es2022',
    sourcemap: true,
    // Modules run in import order even when split across chunks: main.tsx's zodJitless must run before
    // @cutroom/schema builds its schemas, or Zod probes `new Function` and the CSP reports it.
    rolldownOptions: { output: { strictExecutionOrder: true } },
  },
})
