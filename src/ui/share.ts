// Result links: the fragment #r= carries base64url(deflate-raw(result JSON)), checked for shape when read.

import type { Result } from '../engine/result.ts';
import { parseResult } from '../engine/result-schema.ts';
import { toSearchParams, type Config } from '../config/params.ts';

const kMaxSharedBytes = 2_000_000;

async function pipe(data: Uint8Array, stream: CompressionStream | DecompressionStream, limit = Infinity): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer
    .write(data as Uint8Array<ArrayBuffer>)
    .then(() => writer.close())
    .catch(() => {});
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`the shared result is larger than ${limit} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('it is not base64url');
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

/** Drops the bulky per-event timelines' measured twin so links stay short. */
export function compactResult(r: Result): Result {
  return { ...r, runs: r.runs.map((x) => ({ ...x, measuredTimeline: [] })) };
}

export async function encodeShared(r: Result): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(compactResult(r)));
  return toBase64Url(await pipe(json, new CompressionStream('deflate-raw')));
}

/** Reads a shared result; throws with a reason when it is not one. */
export async function decodeShared(fragment: string): Promise<Result> {
  if (fragment.length > kMaxSharedBytes) throw new Error('the link is too long');
  const bytes = await pipe(fromBase64Url(fragment), new DecompressionStream('deflate-raw'), kMaxSharedBytes * 8);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('it is not JSON');
  }
  try {
    return parseResult(value);
  } catch (e) {
    throw new Error(`it is not a wafer-bench result: ${(e as Error).message}`);
  }
}

/**
 * Copies the page's link (with a result, when given) and says so in `status`, or shows it to copy by hand where the
 * clipboard is refused; `el` keeps it in data-link.
 */
export async function copyShareLink(c: Config, r: Result | null, el: HTMLElement, status: HTMLElement, copied: string): Promise<void> {
  const url = await shareLink(c, r);
  try {
    await navigator.clipboard.writeText(url);
    status.textContent = copied;
  } catch {
    status.textContent = `Copy this link: ${url}`;
  }
  el.dataset.link = url;
}

/** A configuration as a query string, defaults and page-only flags (embed, autorun) left out. */
export const canonicalQuery = (c: Config): string => toSearchParams({ ...c, embed: false, autorun: false }).toString();

/** The page's link for a configuration (embed-only parameters dropped); with a result, the fragment carries it. */
export async function shareLink(c: Config, r: Result | null): Promise<string> {
  const url = new URL(location.href);
  url.search = canonicalQuery(c);
  url.hash = r ? `r=${await encodeShared(r)}` : '';
  return url.toString();
}
