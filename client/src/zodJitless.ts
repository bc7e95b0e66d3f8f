import { config } from 'zod'

// Zod compiles object parsers with `new Function` unless told not to, and probing whether it may do so is
// reported as a violation by the strict CSP the api serves (no 'unsafe-eval'). Imported first by main.tsx: the
// setting is read when schemas are built, so it must run before @cutroom/schema's modules are evaluated.
config({ jitless: true })
