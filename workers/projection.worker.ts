// The projection worker: the target model for the configuration the page shows, off the page's thread so that
// editing a control never blocks it, whatever the size (up to 4096 units).

import * as Comlink from 'comlink';
import { parseQuery } from '../src/config/params.ts';
import { predict } from '../src/model/predict.ts';
import type { Result } from '../src/engine/result.ts';

export interface ProjectionApi {
  /** The projection of a query, or the reason it cannot be made. */
  project(query: string): { result: Result | null; error: string | null; ms: number };
}

const api: ProjectionApi = {
  project(query) {
    const t0 = performance.now();
    try {
      const result = predict(parseQuery(query).config, navigator.userAgent);
      return { result, error: null, ms: performance.now() - t0 };
    } catch (e) {
      return { result: null, error: (e as Error).message, ms: performance.now() - t0 };
    }
  },
};

Comlink.expose(api);
