export { loadFunctionsApp, invocationContext, type CapturedLog, type RegisteredFunction } from '../../src/hosting/local-functions-host.ts';
