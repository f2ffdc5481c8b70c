/**
 * `npm run --silent script -- lint <file>` and `npm run --silent script -- simulate <file> --locale <l>`:
 * check a screening script, or walk through it as a resident would. See {@link runScriptCommand}.
 */
import { processIo, runScriptCommand } from './script-command.ts';

const code = await runScriptCommand(process.argv.slice(2), processIo());
// An interactive run leaves stdin open; exit explicitly (stdout to a pipe or file is written synchronously).
process.exit(code);
