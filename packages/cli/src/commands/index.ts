import type { Command } from '../command.js';
import { deliveryCommands } from './deliveries.js';
import { endpointCommands } from './endpoints.js';
import { eventCommands } from './events.js';
import { replayCommands } from './replay.js';
import { signCommand, verifyCommand } from './signing.js';
import { tail } from './tail.js';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  ...endpointCommands,
  ...eventCommands,
  ...deliveryCommands,
  ...replayCommands,
  tail,
  signCommand,
  verifyCommand,
];
