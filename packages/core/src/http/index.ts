// HTTP rules shared by every server of the toolkit (@mlops/serve, the registry's router, @mlops/dashboard).
export type { AllowedHosts } from './host-check.js';
export { createHostCheck, hostnameOf, hostRefusedError, isLoopbackHost } from './host-check.js';
export { isRequestId } from './request-id.js';
