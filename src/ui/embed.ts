// Embed messages from the parent frame: checked for shape (and origin, where the host named one with ?origin=).

import { parseQuery } from '../config/params.ts';

const kMaxQuery = 8192;

/** A `run` request to act on, an error to report, or null for messages that are not ours. */
export function validateEmbedMessage(
  data: unknown,
  origin: string,
  allowedOrigin: string | null,
): { query: string; error?: undefined } | { error: string; query?: undefined } | null {
  if (typeof data !== 'object' || data === null) return null;
  const m = data as Record<string, unknown>;
  if (m.source !== 'wafer-bench') return null;
  if (m.type !== 'run') return null;
  if (allowedOrigin && origin !== allowedOrigin) return null;
  if (m.query !== undefined && typeof m.query !== 'string') return { error: 'a run message needs query to be a string' };
  const query = (m.query as string | undefined) ?? '';
  if (query.length > kMaxQuery) return { error: `a run message's query is longer than ${kMaxQuery} characters` };
  // Validated exactly like the URL: problems are reported by the page when it applies the query.
  parseQuery(query);
  return { query };
}
