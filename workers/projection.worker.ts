// The projection worker: the target model for the configuration the page shows, off the page's thread so that
// editing a control never blocks it, whatever the size (up to 4096 units).

import * as Comlink from 'comlink';
import { parseQuery } from '../src/config/params.ts';
import { llmCurve, predict } from '../src/model/predict.ts';
import type { LlmCurvePoint, Result } from '../src/engine/result.ts';

export interface ProjectionApi {
  /** The projection of a query, or the reason it cannot be made. */
  project(query: string): { result: Result | null; error: string | null };
  /** Decode: tokens/s per user against the batch (the slower part, asked for after the projection is shown). */
  curve(query: string): LlmCurvePoint[] | null;
}

const api: ProjectionApi = {
  project(query) {
    try {
      return { result: predict(parseQuery(query).config, navigator.userAgent, { curve: false }), error: null };
    } catch (e) {
      return { result: null, error: (e as Error).message };
    }
  },
  curve(query) {
    const c = parseQuery(query).config;
    if (c.workload !== 'decode') return null;
    try {
      return llmCurve(c);
    } catch {
      return null;
    }
  },
};

Comlink.expose(api);
