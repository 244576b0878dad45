export {
  type Behavior,
  BehaviorSpecError,
  decideOutcome,
  type Outcome,
  parseBehavior,
} from './behavior.js';
export { mulberry32 } from './random.js';
export {
  type MockReceiver,
  type MockReceiverOptions,
  type ReceivedRequest,
  type SignatureVerdict,
  startMockReceiver,
} from './receiver.js';
