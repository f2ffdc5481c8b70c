#!/usr/bin/env node
// Prisma runs this file as its schema-engine binary (PRISMA_SCHEMA_ENGINE_BINARY, set in prisma.config.ts).
// It loads the TypeScript stand-in through tsx's loader, resolved from this file, not from the caller's cwd.
import { register } from 'tsx/esm/api';

register();
await import('./stand-in.ts');
