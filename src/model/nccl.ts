// NCCL's own latency model and protocol bandwidths (src/graph/tuning.cc, tag v2.21.5-1, commit ab2b89c): a base
// latency once per collective and a per-step hardware latency, by protocol; the protocol is the one that is
// fastest for the size, as NCCL picks it. Latencies in µs.

import type { NcclHw } from './hardware/links.ts';

export const kProtocols = Object.freeze(['LL', 'LL128', 'Simple'] as const);
export type Protocol = (typeof kProtocols)[number];

export const kNcclSource = 'NCCL src/graph/tuning.cc, tag v2.21.5-1 (commit ab2b89c4), baseLat and hwLat tables (Ring row)';

/** baseLat[Ring][protocol]: charged once per collective. */
export const kBaseLatUs: Readonly<Record<Protocol, number>> = Object.freeze({ LL: 6.6, LL128: 14.0, Simple: 8.4 });

/** hwLat[hw][Ring][protocol]: charged per ring step (per message on the path). */
export const kHwLatUs: Readonly<Record<NcclHw, Readonly<Record<Protocol, number>>>> = Object.freeze({
  nvlink: { LL: 0.6, LL128: 1.9, Simple: 3.4 },
  pci: { LL: 1.0, LL128: 2.5, Simple: 5.7 },
  net: { LL: 2.7, LL128: 4.0, Simple: 14.0 },
});

/**
 * Network post overhead on multi-node rings: every intra-node step costs at least this (1 µs on Intel hosts, ×3
 * for Simple) — getNetOverhead() in tuning.cc.
 */
export const netOverheadUs = (p: Protocol): number => (p === 'Simple' ? 3 : 1);

/**
 * The bandwidth a protocol gets of the achieved (Simple) bandwidth B, as NCCL v2.21.5's tuning.cc ring refinements
 * have it: LL sends a 4-byte flag with every 4 bytes of data (busBw × .5, capped at llMaxBw for the communicator);
 * LL128 busBw × 0.92, which the source annotates as 120.0/128.0 (8 flag bytes in every 128-byte line). Later NCCL
 * releases charge LL 1/4 (all-reduce, or several nodes) or 1/3, and LL128 0.7 with one GPU per node: not modelled.
 */
export function protocolGBs(p: Protocol, B: number, nodes: number): number {
  if (p === 'Simple') return B;
  if (p === 'LL128') return 0.92 * B;
  return Math.min(llMaxGBs(nodes), 0.5 * B);
}

/**
 * NCCL's llMaxBw: the cap on the LL protocol's bus bandwidth, GB/s (tuning.cc's llMaxBws table): Hopper row on one
 * node (141); Intel-host row across nodes (39 on two nodes, 20.4 on more).
 */
const llMaxGBs = (nodes: number): number => (nodes <= 1 ? 141 : nodes === 2 ? 39 : 20.4);
