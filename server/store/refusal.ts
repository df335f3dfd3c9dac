import { ConfigError } from '../config.js';

/** The embedded store cannot run as configured here; the message says what to run to fix it. Printed without a stack. */
export class StoreRefusal extends ConfigError {
  override name = 'StoreRefusal';

  constructor(problem: string, fixes: string[]) {
    super(`The embedded store cannot start: ${problem}.\nFix it with one of:\n${fixes.map((fix) => `  ${fix}`).join('\n')}`);
  }
}
