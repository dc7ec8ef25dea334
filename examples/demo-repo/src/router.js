import { config as defaultConfig } from './config.js';

export class RoutingError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RoutingError';
  }
}

/**
 * Name of the provider that serves `request.model`.
 *
 * Providers are tried in config order; the first one with a matching model
 * prefix wins.
 */
export function route(request, config = defaultConfig) {
  const model = request?.model;
  if (typeof model !== 'string' || model === '') {
    throw new RoutingError('request.model is required');
  }

  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.modelPrefixes.some((prefix) => model.startsWith)) {
      return name;
    }
  }

  throw new RoutingError(`no provider serves model "${model}"`);
}
