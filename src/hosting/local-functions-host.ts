import Module from 'node:module';
import azureFunctions from '@azure/functions';
import type { InvocationContext as InvocationContextType } from '@azure/functions';

/**
 * Stands in for the Azure Functions host where there is none (the demo, tests; Core Tools cannot be installed
 * here): captures every function the app registers through `@azure/functions` (binding metadata and handler),
 * so callers invoke the REGISTERED handler with a real InvocationContext, as the host would. The library loads
 * `@azure/functions-core` (injected by the worker) lazily with require; this answers that require with a
 * recorder before the app is imported. Nothing else may import `@azure/functions` first.
 */
export interface RegisteredFunction {
  name: string;
  metadata: { name: string; bindings: Record<string, { type: string; direction: string; [key: string]: unknown }>; retryOptions?: unknown };
  handler: (...args: unknown[]) => unknown;
}

export interface CapturedLog {
  level: string;
  message: string;
}

const registered = new Map<string, RegisteredFunction>();
let installed = false;

function installRecorder(): void {
  if (installed) return;
  installed = true;
  const recorder = {
    setProgrammingModel() {},
    registerFunction(metadata: RegisteredFunction['metadata'], handler: RegisteredFunction['handler']) {
      registered.set(metadata.name, { name: metadata.name, metadata, handler });
      return { dispose() {} };
    },
    registerHook: () => ({ dispose() {} }),
    getProgrammingModel: () => undefined,
    log() {},
  };
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === '@azure/functions-core' ? recorder : original.call(this, request, ...rest);
  };
}

/** Imports the Functions app (functions/index.ts) with the recorder in place and returns what it registered. */
export async function loadFunctionsApp(): Promise<Map<string, RegisteredFunction>> {
  installRecorder();
  await import('../../functions/index.ts');
  return registered;
}

/** A real InvocationContext whose log lines are captured, for assertions on what a function logged. */
export function invocationContext(functionName: string, extra: Partial<ConstructorParameters<typeof azureFunctions.InvocationContext>[0]> = {}): {
  context: InvocationContextType;
  logs: CapturedLog[];
} {
  const logs: CapturedLog[] = [];
  const context = new azureFunctions.InvocationContext({
    invocationId: `test-${functionName}-${Math.random().toString(16).slice(2)}`,
    functionName,
    logHandler: (level, ...args) => logs.push({ level, message: args.map(String).join(' ') }),
    ...extra,
  });
  return { context, logs };
}
