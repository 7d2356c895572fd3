// The API edge of cryod: service implementations, auth, and CryoError <-> status mapping.
export { jobService, type DaemonFacts } from './job-service.js';
export { eventService } from './event-service.js';
export { unimplementedCheckpointService, checkpointService, checkpointToProto } from './checkpoint-service.js';
export { authInterceptor, errorInterceptor, peerCredKey, isAllowedPeer, type PeerCred } from './auth.js';
export { toConnectError, fromConnectError, errorHeader } from './errors.js';
