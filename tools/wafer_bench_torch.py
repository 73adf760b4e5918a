#!/usr/bin/env python3
"""wafer-bench on a real cluster: the benchmark's cluster workloads run with torch.distributed, written as the
project's result JSON (schema 2), the measured counterpart of the page's projection.

    torchrun --nproc-per-node 8 tools/wafer_bench_torch.py \
        "workload=allreduce&minBytes=8&maxBytes=8589934592" --json cluster.json
    python3 tools/wafer_bench_torch.py "workload=gemm&m=64&n=64&k=64" --spawn 2 --backend gloo --device cpu

Usage: wafer_bench_torch.py "QUERY" [--json FILE] [--backend nccl|gloo|auto] [--device cuda|cpu|auto] [--spawn N]
[--dry-run]. Under torchrun (RANK and WORLD_SIZE set) the process is one rank; --spawn N starts N ranks on this
machine (127.0.0.1, a free port); with neither it runs one rank. Python 3.9+ and torch only (current PyTorch with
NCCL/RCCL on GPUs, torch 1.13+ with gloo on CPU).

The query is the page's (src/config/params.ts), checked as strictly: unknown parameters, repeated ones and values
this companion cannot run are refused (exit 2). Every rank of the process group is one shard:
  workload=allreduce  an nccl-tests style sweep from minBytes to maxBytes by factor, float32 elements, in place: per
                      size `warmup` untimed and `iters` timed operations back to back after a barrier; time = mean
                      per operation (µs), algbw = bytes / time (decimal GB/s), busbw = algbw · 2(n−1)/n (GB/s per
                      direction); #wrong from one more all-reduce of rank-dependent integers, against the exact sum.
  workload=gemm       C = A·B. strategy=ksplit: K split across the ranks, a partial C on each, then a reduce-scatter
                      of C by rows (output=sharded) or an all-reduce (output=replicated). strategy=rows: A split by
                      rows, B on every rank, C gathered on every rank when output=replicated.
  workload=mlp        the Megatron MLP, Y = GeLU(X·W1)·W2 per layer (GeLU in its tanh form): W1 split by columns,
                      W2 by rows, an all-reduce of Y per layer, the last one a reduce-scatter by tokens when
                      output=sharded.
Step workloads: seeded inputs identical on every rank (uniform in [−1, 1), weights scaled by 1/√fan-in);
`warmup` untimed and `iters` timed steps, each timed on rank 0 from a barrier with device synchronisation to the
device synchronisation after the step; then a few steps synchronised after every phase, for the compute and
communication split and the per-rank timeline; then the outputs of every rank checked against a float64
reference computed on rank 0 (sampled rows for large outputs) with tolerances from K, the precision and the
magnitudes involved.

Output. Rank 0 prints a short nccl-tests-like table and, with --json FILE, writes the result (src/engine/result.ts;
it passes parseResult of src/engine/result-schema.ts):
  config       every query parameter normalized as the page does (defaults filled in, grid and tiles resolved),
               with mode=cluster, shards = the ranks and precision = the precision that ran (bf16 and fp8 run in
               float32 on CPU and fp8 in bfloat16 on GPUs; the all-reduce sweep is float32; a note says so).
  env          backend 'torch'; transport = the process group's backend ('nccl', 'rccl' on ROCm, 'gloo');
               adapter vendor 'torch', architecture = the device's name, description '<N> ranks on <hosts>'.
  runs[0]      mode 'cluster': stepMs (measured, ms), gflops (from it, all ranks together), commBytes (bytes one rank
               sends per step as a ring sends them, in the element type that ran), computeMs, commMs and
               exposedCommMs (medians of the phase-synchronised steps; nothing overlaps, so exposed = comm),
               verified, maxAbsErr, maxRelErr, checked, measuredTimeline (per-rank events, ms from each rank's
               start), iterations; emulatedStepMs has no samples and the target fields are null.
  collectives  (allreduce) a row per size: mode 'cluster', algorithm = the backend, timeUs, algbw and busbw null
               (no projection here), measuredTimeUs (µs), measuredBusbw (GB/s per direction), wrong.
Numbers that do not exist are JSON null. Exit status: 0 success; 1 a run failed or did not verify; 2 bad arguments
or a query this companion cannot run (the message says which).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import socket
import sys
import time
import zlib
from typing import Any, Callable, Iterator, NamedTuple
from urllib.parse import parse_qsl

VERSION = '0.2.0'  # the result version, kVersion of src/model/predict.ts

# --- the page's parameters (src/config/params.ts and the hardware registries it names) ---------------------------

MAX_DIM = 1 << 16
MAX_UNITS = 4096
MAX_QUERY_CHARS = 8192
LINK_PRESETS = ('nvlink4', 'ib-ndr', 'pcie5', 'eth100g', 'mi300x-if', 'tpu-v5p-ici')
LINKS_WITH_NVLS = ('nvlink4',)
MODELS = ('llama3-8b', 'llama3-70b', 'llama3-405b')
GPUS = ('h100', 'h200', 'mi300x', 'tpu-v5p', 'custom')
FABRICS = ('measured', 'wse3', 'custom')
COLLECTIVES = ('ring', 'rhd', 'direct', 'nvls')
PAGE_ONLY = ('origin',)


class UsageError(Exception):
    """A bad argument or a query this companion cannot run: exit status 2."""


def _show(raw: str) -> str:
    return json.dumps(raw if len(raw) <= 40 else raw[:40] + '…', ensure_ascii=False)


def int_spec(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        t = raw.strip()
        if not re.fullmatch(r'\+?[0-9]{1,12}', t) or not lo <= int(t) <= hi:
            raise ValueError(f'must be an integer from {lo} to {hi}')
        return int(t)

    return parse


def number_spec(lo: float, hi: float, unit: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        t = raw.strip()
        v = float(t) if re.fullmatch(r'\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?', t) else math.nan
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ValueError(f'must be a number from {lo:g} to {hi:g} ({unit})')
        return int(v) if v.is_integer() else v

    return parse


def enum_spec(*values: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in values:
            raise ValueError('must be one of ' + ', '.join(values))
        return raw

    return parse


def bool_spec(raw: str) -> bool:
    if raw in ('1', 'true'):
        return True
    if raw in ('0', 'false'):
        return False
    raise ValueError('must be 1 or 0')


def grid_spec(raw: str) -> tuple[int, int]:
    m = re.fullmatch(r'([0-9]{1,2})[xX]([0-9]{1,2})', raw.strip())
    if not m or not (1 <= int(m[1]) <= 64 and 1 <= int(m[2]) <= 64):
        raise ValueError('must be RxC with R and C from 1 to 64, e.g. 2x2')
    return int(m[1]), int(m[2])


# name: (parser, default), in the page's order (kParamNames).
SPECS: dict[str, tuple[Callable[[str], Any], Any]] = {
    'mode': (enum_spec('compare', 'wafer', 'cluster'), 'compare'),
    'workload': (enum_spec('gemm', 'mlp', 'allreduce', 'decode', 'prefill'), 'gemm'),
    'm': (int_spec(1, MAX_DIM), 1024),
    'n': (int_spec(1, MAX_DIM), 1024),
    'k': (int_spec(1, MAX_DIM), 1024),
    'tokens': (int_spec(1, MAX_DIM), 512),
    'hidden': (int_spec(1, MAX_DIM), 1024),
    'layers': (int_spec(1, 256), 1),
    'shards': (int_spec(1, MAX_UNITS), 4),
    'grid': (grid_spec, None),
    'tiles': (grid_spec, None),
    'strategy': (enum_spec('ksplit', 'rows', 'summa'), 'ksplit'),
    'output': (enum_spec('sharded', 'replicated'), 'sharded'),
    'precision': (enum_spec('bf16', 'fp8', 'f32'), 'bf16'),
    'gpu': (enum_spec(*GPUS), None),
    'gpusPerNode': (int_spec(1, 64), 8),
    'scaleout': (enum_spec(*LINK_PRESETS), 'ib-ndr'),
    'equal': (enum_spec('units', 'power', 'peak'), 'units'),
    'model': (enum_spec(*MODELS, 'custom'), 'llama3-8b'),
    'heads': (int_spec(1, 4096), None),
    'kvHeads': (int_spec(1, 4096), None),
    'ffn': (int_spec(1, 1 << 20), None),
    'vocab': (int_spec(1, 1 << 22), None),
    'batch': (int_spec(1, 4096), 1),
    'context': (int_spec(0, 1 << 20), 4096),
    'prompt': (int_spec(1, 1 << 20), 2048),
    'tp': (int_spec(1, MAX_UNITS), None),
    'pp': (int_spec(1, MAX_UNITS), None),
    'wafers': (int_spec(1, 64), None),
    'collective': (enum_spec(*COLLECTIVES), 'ring'),
    'transport': (enum_spec('auto', 'sab', 'message'), 'auto'),
    'link': (enum_spec('measured', *LINK_PRESETS, 'custom'), 'nvlink4'),
    'fabric': (enum_spec(*FABRICS), 'wse3'),
    'alpha': (number_spec(0, 1e6, 'µs'), None),
    'base': (number_spec(0, 1e6, 'µs'), None),
    'gbps': (number_spec(1e-3, 1e7, 'GB/s per direction'), None),
    'tflops': (number_spec(1e-6, 1e7, 'TFLOP/s'), None),
    'minBytes': (int_spec(4, 2**34), 1024),
    'maxBytes': (int_spec(4, 2**34), 64 * 1024 * 1024),
    'factor': (int_spec(2, 1024), 4),
    'sweep': (enum_spec('none', 'shards', 'size'), 'none'),
    'iters': (int_spec(1, 10_000), 20),
    'warmup': (int_spec(0, 1000), 3),
    'dtype': (enum_spec('f32', 'f16'), 'f32'),
    'verify': (bool_spec, True),
    'seed': (int_spec(0, 2**32 - 1), 1),
    'autorun': (bool_spec, False),
    'embed': (bool_spec, False),
    'timeout': (int_spec(100, 3_600_000), 120_000),
}


def squarest(units: int) -> tuple[int, int]:
    """The squarest R×C with R·C = units (R ≤ C)."""
    rows = math.isqrt(units)
    while units % rows:
        rows -= 1
    return rows, units // rows


def parse_query(query: str, ranks: int) -> tuple[dict[str, Any], list[str]]:
    """The normalized configuration (normalizedConfig of params.ts, for a cluster of `ranks`) and notes.

    Raises UsageError naming every bad parameter: unknown, repeated, invalid, or not runnable here."""
    if len(query) > MAX_QUERY_CHARS:
        raise UsageError(f'the query is longer than {MAX_QUERY_CHARS} characters')
    c = {name: default for name, (_, default) in SPECS.items()}
    errors: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for name, raw in parse_qsl(query[1:] if query.startswith('?') else query, keep_blank_values=True):
        if name in PAGE_ONLY:
            continue
        if name not in SPECS:
            errors.append(f'unknown parameter {_show(name)}')
        elif name in seen:
            errors.append(f'{name} is given more than once')
        else:
            seen.add(name)
            try:
                c[name] = SPECS[name][0](raw)
            except ValueError as e:
                errors.append(f'{name}={_show(raw)}: {e}')
    if 'autorun' not in seen and c['embed']:
        c['autorun'] = True
    if not errors:
        errors += conflicts(c, seen, ranks, notes)
    if errors:
        raise UsageError('; '.join(errors))
    c['mode'] = 'cluster'
    c['shards'] = ranks
    c['grid'] = '%dx%d' % (c['grid'] or squarest(ranks))
    c['tiles'] = '%dx%d' % (c['tiles'] or squarest(ranks))
    return c, notes


def conflicts(c: dict[str, Any], seen: set[str], ranks: int, notes: list[str]) -> list[str]:
    """The page's cross-parameter rules, and what this companion cannot run, as error messages."""
    out = []
    if c['workload'] in ('decode', 'prefill'):
        out.append(f'workload={c["workload"]} is projected only (npm run predict); this companion runs gemm, mlp and allreduce')
    if c['minBytes'] > c['maxBytes']:
        out.append(f'minBytes={c["minBytes"]} is larger than maxBytes={c["maxBytes"]}')
    if c['collective'] == 'nvls' and (c['link'] not in LINKS_WITH_NVLS or c['shards'] > c['gpusPerNode']):
        out.append('collective=nvls needs a switch that reduces (link=nvlink4) in one node (shards ≤ gpusPerNode)')
    if c['gpu'] == 'custom' and c['tflops'] is None:
        out.append('gpu=custom needs tflops (dense TFLOP/s at the target precision)')
    for name in ('link', 'fabric'):
        if c[name] == 'custom' and None in (c['alpha'], c['gbps'], c['tflops']):
            out.append(f'{name}=custom needs alpha (µs), gbps (GB/s per direction) and tflops (TFLOP/s)')
    if c['mode'] == 'wafer':
        out.append('mode=wafer: this companion runs the cluster side only (mode=cluster, or compare)')
    if 'shards' in seen and c['shards'] != ranks:
        out.append(f'shards={c["shards"]}, but the process group has {ranks} rank(s); leave shards out or match it')
    if c['grid'] and c['grid'][0] * c['grid'][1] != ranks:
        out.append('grid %dx%d does not have %d devices (one per rank)' % (*c['grid'], ranks))
    if c['strategy'] == 'summa' and c['workload'] == 'gemm':
        out.append('strategy=summa is not run by this companion (ksplit or rows)')
    if c['sweep'] != 'none':
        out.append(f'sweep={c["sweep"]}: run one configuration per invocation (sweep=none)')
    if c['dtype'] != 'f32':
        out.append(f'dtype={c["dtype"]} is not available in this version (f32; the element type comes from precision)')
    if not out:
        out += problem(c, ranks)
    if c['mode'] == 'compare' and 'mode' in seen:
        notes.append('only the cluster side runs here; mode is recorded as cluster')
    if c['collective'] != 'ring':
        notes.append(f'collective={c["collective"]} is recorded for the projection; the backend picks its algorithm')
    return out


def problem(c: dict[str, Any], n: int) -> list[str]:
    """What the workload needs of its shape on n ranks (the page's WorkloadSpec.problem for a cluster)."""
    if c['workload'] == 'gemm' and c['strategy'] == 'ksplit':
        if c['k'] < n:
            return [f'strategy=ksplit over {n} ranks needs k ≥ {n}; got k={c["k"]}']
        if c['output'] == 'sharded' and c['m'] < n:
            why = '(C is split by rows)'
            return [f'strategy=ksplit with output=sharded over {n} ranks needs m ≥ {n} {why}; got m={c["m"]}']
    if c['workload'] == 'gemm' and c['strategy'] == 'rows' and c['m'] < n:
        return [f'strategy=rows over {n} ranks needs m ≥ {n}; got m={c["m"]}']
    if c['workload'] == 'mlp':
        if 4 * c['hidden'] < n:
            return [f'mlp over {n} ranks needs 4·hidden ≥ {n}; got hidden={c["hidden"]}']
        if c['output'] == 'sharded' and c['tokens'] < n:
            why = '(Y is split by tokens)'
            return [f'mlp over {n} ranks with output=sharded needs tokens ≥ {n} {why}; got tokens={c["tokens"]}']
    return []


# --- small pure helpers, as the page computes them --------------------------------------------------------------


class Part(NamedTuple):
    off: int
    count: int


def chunks(count: int, parts: int) -> list[Part]:
    """`count` split into `parts` near-equal contiguous parts (chunks of src/collectives/builder.ts)."""
    return [Part(count * i // parts, count * (i + 1) // parts - count * i // parts) for i in range(parts)]


def sweep_sizes(c: dict[str, Any]) -> list[int]:
    """The message sizes of the all-reduce sweep, bytes (multiples of 4), as sweepSizes of allreduce.ts."""
    out, s = [], c['minBytes']
    while s <= c['maxBytes']:
        out.append(max(4, s // 4 * 4))
        s *= c['factor']
    return out


def sample_indices(count: int, other: int, most: int = 24) -> list[int]:
    """Rows to check of a count×other output: all up to 256·256 elements, else a spread sample (verify.ts)."""
    if count * other <= 256 * 256 or count <= most:
        return list(range(count))
    out, i = {0, count - 1}, 1
    while len(out) < most:
        out.add(i * 7919 % count)
        i += 1
    return sorted(out)


def ring_bytes(count: int, ranks: int, elem: int, passes: int) -> int:
    """Bytes one rank sends in a ring over `count` elements: each pass (reduce-scatter, all-gather) sends all
    chunks but one; the largest share is the one that skips the smallest chunk."""
    if ranks < 2:
        return 0
    return passes * (count - min(p.count for p in chunks(count, ranks))) * elem


def quantile(xs: list[float], q: float) -> float:
    """Linear-interpolated quantile of sorted values (stats.ts)."""
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summarize(values: list[float]) -> dict[str, Any]:
    s = sorted(v for v in values if math.isfinite(v))
    return {
        'median': quantile(s, 0.5),
        'p10': quantile(s, 0.1),
        'p90': quantile(s, 0.9),
        'min': s[0] if s else math.nan,
        'max': s[-1] if s else math.nan,
        'samples': len(s),
    }


def no_samples() -> dict[str, Any]:
    return {'median': None, 'p10': None, 'p90': None, 'min': None, 'max': None, 'samples': 0}


def json_ready(x: Any) -> Any:
    """Non-finite floats become null (the schema reads null as NaN)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    return x


# --- torch: the rank's context, collectives over row splits, seeded inputs -------------------------------------

U32 = 2.0**-24  # unit roundoff of float32: matmuls accumulate in it
ROUNDOFF = {'f32': 2.0**-24, 'bf16': 2.0**-8}
GELU_MAX_CURVATURE = 0.8  # largest |GeLU''| (at 0: 2·φ(0) ≈ 0.798): with the slope at h, bounds how an error grows
PROPAGATION_MARGIN = 4.0  # × the MLP's error scale (see mlp_reference)


class Ctx:
    """One rank: its place in the process group, its device, the element type that runs and the configuration."""

    def __init__(self, torch: Any, rank: int, world: int, device: Any, opts: dict[str, Any]):
        self.torch = torch
        self.dist = torch.distributed
        self.rank, self.world, self.device = rank, world, device
        self.backend: str = opts['backend']
        self.transport: str = opts['transport']
        self.config: dict[str, Any] = opts['config']
        self.notes: list[str] = opts['notes']
        self.precision: str = self.config['precision']
        self.dtype = {'f32': torch.float32, 'bf16': torch.bfloat16}[self.precision]
        self.elem = 4 if self.precision == 'f32' else 2  # bytes per element
        self.u_out = ROUNDOFF[self.precision]
        self.dtype_name = {'f32': 'float32', 'bf16': 'bfloat16'}[self.precision]

    def sync(self) -> None:
        if self.device.type == 'cuda':
            self.torch.cuda.synchronize(self.device)

    def barrier(self) -> None:
        """Every rank here, and this device idle: a one-element all-reduce, then a device synchronisation."""
        self.dist.all_reduce(self.torch.ones(1, device=self.device))
        self.sync()

    def reduce(self, values: list[float], op: str) -> list[float]:
        """Element-wise SUM or MAX of small float64 values over the ranks."""
        t = self.torch.tensor(values, dtype=self.torch.float64, device=self.device)
        self.dist.all_reduce(t, op=getattr(self.dist.ReduceOp, op))
        return t.tolist()


class RowSplit:
    """A rows×cols matrix split by rows across the ranks (chunks), with the collectives between its forms.

    gloo has no reduce-scatter: there it is a ring of sends and receives (the algorithm NCCL's ring runs)."""

    def __init__(self, ctx: Ctx, rows: int, cols: int):
        self.ctx, self.cols = ctx, cols
        self.parts = chunks(rows, ctx.world)
        self.counts = [p.count for p in self.parts]
        self.even = len(set(self.counts)) == 1
        self.most = max(self.counts)
        self._bufs: dict[str, Any] = {}  # scratch made on first use: padded parts, the ring's receive buffer

    def own(self) -> Part:
        return self.parts[self.ctx.rank]

    def rows_of(self, m: Any, i: int) -> Any:
        return m[self.parts[i].off : self.parts[i].off + self.parts[i].count]

    def scatter_bytes(self) -> int:
        """Bytes one rank sends in a ring reduce-scatter or all-gather of these parts."""
        return ring_bytes(sum(self.counts), self.ctx.world, self.cols * self.ctx.elem, 1)

    def scratch(self, name: str, rows: int) -> Any:
        if name not in self._bufs:
            self._bufs[name] = self.ctx.torch.zeros((rows, self.cols), dtype=self.ctx.dtype, device=self.ctx.device)
        return self._bufs[name]

    def padded(self) -> tuple[Any, Any]:
        """Every part padded to the largest (zeros past each part's rows), and this rank's."""
        return self.scratch('all', self.ctx.world * self.most), self.scratch('mine', self.most)

    def reduce_scatter(self, full: Any, out: Any) -> None:
        """Sums `full` (this rank's partial of the whole matrix; overwritten) over the ranks into `out`, this rank's
        rows."""
        ctx, dist = self.ctx, self.ctx.dist
        if ctx.world == 1:
            out.copy_(full)
        elif ctx.backend == 'gloo':
            self._ring_reduce_scatter(full, out)
        elif self.even:
            _reduce_scatter_tensor(dist)(out, full)
        else:
            big, mine = self.padded()
            for i in range(ctx.world):
                big[i * self.most : i * self.most + self.counts[i]].copy_(self.rows_of(full, i))
            _reduce_scatter_tensor(dist)(mine, big)
            out.copy_(mine[: out.shape[0]])

    def _ring_reduce_scatter(self, full: Any, out: Any) -> None:
        """n−1 steps: send the partial sum of one part to the next rank, add the one from the previous rank."""
        ctx, dist = self.ctx, self.ctx.dist
        n, r = ctx.world, ctx.rank
        recv = self.scratch('recv', self.most)
        for s in range(n - 1):
            send_i, recv_i = (r - s - 1) % n, (r - s - 2) % n
            into = recv[: self.counts[recv_i]]
            reqs = [dist.isend(self.rows_of(full, send_i), (r + 1) % n), dist.irecv(into, (r - 1) % n)]
            for q in reqs:
                q.wait()
            self.rows_of(full, recv_i).add_(into)
        out.copy_(self.rows_of(full, r))

    def all_gather(self, block: Any, out: Any) -> None:
        """Every rank's rows `block` into `out`, the whole matrix, on every rank."""
        ctx, dist = self.ctx, self.ctx.dist
        if ctx.world == 1:
            out.copy_(block)
        elif self.even and ctx.backend != 'gloo':
            _all_gather_tensor(dist)(out, block)
        elif self.even:
            dist.all_gather([self.rows_of(out, i) for i in range(ctx.world)], block)
        else:
            big, mine = self.padded()
            mine[: block.shape[0]].copy_(block)
            dist.all_gather(list(big.split(self.most)), mine)
            for i in range(ctx.world):
                self.rows_of(out, i).copy_(big[i * self.most : i * self.most + self.counts[i]])


def _reduce_scatter_tensor(dist: Any) -> Callable[..., Any]:
    return getattr(dist, 'reduce_scatter_tensor', None) or dist._reduce_scatter_base


def _all_gather_tensor(dist: Any) -> Callable[..., Any]:
    return getattr(dist, 'all_gather_into_tensor', None) or dist._all_gather_base


class Inputs:
    """Seeded matrices, the same on every rank: uniform in [−1, 1), weights (names W…) scaled by 1/√rows.

    A matrix is made in row blocks of about 2^20 elements, each from its own generator seeded by (seed, name,
    block), so any rows of it can be made without the rest."""

    BLOCK_ELEMS = 1 << 20

    def __init__(self, ctx: Ctx):
        self.torch, self.device, self.seed = ctx.torch, ctx.device, ctx.config['seed']

    def _block(self, name: str, shape: tuple[int, int], b: int) -> Any:
        rows, cols = shape
        br = max(1, self.BLOCK_ELEMS // cols)
        g = self.torch.Generator(device=self.device)
        g.manual_seed((self.seed * 1_000_003 + zlib.crc32(name.encode()) * 7919 + b) % (1 << 62))
        x = self.torch.rand((min(br, rows - b * br), cols), generator=g, device=self.device)
        scale = 1 / math.sqrt(rows) if name.startswith('W') else 1.0
        return x.mul_(2).sub_(1).mul_(scale)

    def rows(self, name: str, shape: tuple[int, int], r0: int, r1: int, c0: int = 0, c1: int | None = None) -> Any:
        """Rows r0..r1 and columns c0..c1 of the matrix, float32."""
        c1 = shape[1] if c1 is None else c1
        br = max(1, self.BLOCK_ELEMS // shape[1])
        out = self.torch.empty((r1 - r0, c1 - c0), device=self.device)
        for b in range(r0 // br, (r1 - 1) // br + 1 if r1 > r0 else 0):
            lo, hi = max(r0, b * br), min(r1, (b + 1) * br)
            out[lo - r0 : hi - r0] = self._block(name, shape, b)[lo - b * br : hi - b * br, c0:c1]
        return out

    def pick(self, name: str, shape: tuple[int, int], rows: list[int]) -> Any:
        """The listed rows of the matrix, float32."""
        br = max(1, self.BLOCK_ELEMS // shape[1])
        out = self.torch.empty((len(rows), shape[1]), device=self.device)
        blocks: dict[int, Any] = {}
        for i, r in enumerate(rows):
            if r // br not in blocks:
                blocks = {r // br: self._block(name, shape, r // br)}
            out[i] = blocks[r // br][r - (r // br) * br]
        return out


# --- steps: phases timed and verified the same way for every workload -------------------------------------------


class Phase(NamedTuple):
    kind: str  # 'compute' or 'comm'
    label: str
    run: Callable[[], Any]
    bytes: int  # bytes this rank sends in it


class StepPlan(NamedTuple):
    strategy: str
    describe: str
    phases: list[Phase]
    outputs: list[tuple[Any, int]]  # (this rank's output rows, the row of the whole output it starts at)
    shape: tuple[int, int]  # the whole output, rows × cols
    row_parts: list[Part] | None  # how the output's rows are split when sharded
    flops: int
    tensors: list[Any]  # what one rank holds for the step
    reference: Callable[[list[int]], tuple[Any, Any]]  # rows → (float64 values, tolerances), on rank 0


def step_plan(ctx: Ctx, inputs: Inputs) -> StepPlan:
    c = ctx.config
    if c['workload'] == 'mlp':
        return megatron_plan(ctx, inputs)
    return ksplit_plan(ctx, inputs) if c['strategy'] == 'ksplit' else rows_plan(ctx, inputs)


def matmul_into(torch: Any, a: Any, b: Any, out: Any) -> Callable[[], Any]:
    return lambda: torch.matmul(a, b, out=out)


def ksplit_plan(ctx: Ctx, inputs: Inputs) -> StepPlan:
    """K split over the ranks: a partial C on each, then a reduce-scatter (C by rows) or an all-reduce of C."""
    t, c = ctx.torch, ctx.config
    m, n, k = c['m'], c['n'], c['k']
    ks = chunks(k, ctx.world)
    mine = ks[ctx.rank]
    a = inputs.rows('A', (m, k), 0, m, mine.off, mine.off + mine.count).to(ctx.dtype)
    b = inputs.rows('B', (k, n), mine.off, mine.off + mine.count).to(ctx.dtype)
    cc = t.empty((m, n), dtype=ctx.dtype, device=ctx.device)
    phases = [Phase('compute', 'matmul (K slice)', matmul_into(t, a, b, cc), 0)]
    sharded = c['output'] == 'sharded'
    if sharded:
        split = RowSplit(ctx, m, n)
        own = t.empty((split.own().count, n), dtype=ctx.dtype, device=ctx.device)
        phases.append(Phase('comm', 'reduce-scatter C', lambda: split.reduce_scatter(cc, own), split.scatter_bytes()))
        outputs, parts, held = [(own, split.own().off)], split.parts, [a, b, cc, own]
    else:
        sent = ring_bytes(m * n, ctx.world, ctx.elem, 2)
        phases.append(Phase('comm', 'all-reduce C', all_reduce_of(ctx, cc), sent))
        outputs, parts, held = [(cc, 0)], None, [a, b, cc]
    what = 'reduce-scatter' if sharded else 'all-reduce'
    return StepPlan(
        strategy='ksplit',
        describe=f'K split over {ctx.world} ranks, {ctx.transport} {what} of C ({ctx.dtype_name} on {ctx.device.type})',
        phases=phases,
        outputs=outputs,
        shape=(m, n),
        row_parts=parts,
        flops=2 * m * n * k,
        tensors=held,
        reference=lambda rows: gemm_reference(ctx, inputs, rows, ks),
    )


def rows_plan(ctx: Ctx, inputs: Inputs) -> StepPlan:
    """A split by rows, B on every rank (placed before the step); C gathered on every rank when replicated."""
    t, c = ctx.torch, ctx.config
    m, n, k = c['m'], c['n'], c['k']
    split = RowSplit(ctx, m, n)
    mine = split.own()
    a = inputs.rows('A', (m, k), mine.off, mine.off + mine.count).to(ctx.dtype)
    b = inputs.rows('B', (k, n), 0, k).to(ctx.dtype)
    block = t.empty((mine.count, n), dtype=ctx.dtype, device=ctx.device)
    phases = [Phase('compute', 'matmul (row block)', matmul_into(t, a, b, block), 0)]
    if c['output'] == 'replicated':
        whole = t.empty((m, n), dtype=ctx.dtype, device=ctx.device)
        phases.append(Phase('comm', 'all-gather C', lambda: split.all_gather(block, whole), split.scatter_bytes()))
        outputs, parts, held = [(whole, 0)], None, [a, b, block, whole]
    else:
        outputs, parts, held = [(block, mine.off)], split.parts, [a, b, block]
    gathered = '; C gathered on every rank' if parts is None else ''
    return StepPlan(
        strategy='rows',
        describe=f'A split by rows over {ctx.world} ranks, B on every rank{gathered} ({ctx.dtype_name} on '
        f'{ctx.device.type})',
        phases=phases,
        outputs=outputs,
        shape=(m, n),
        row_parts=parts,
        flops=2 * m * n * k,
        tensors=held,
        reference=lambda rows: gemm_reference(ctx, inputs, rows, [Part(0, k)]),
    )


def megatron_plan(ctx: Ctx, inputs: Inputs) -> StepPlan:
    """The Megatron MLP: W1 by columns, W2 by rows, one all-reduce of Y per layer (the last one a reduce-scatter
    by tokens when sharded). Layer l reads X or Y(l−1) and writes Y(l) into two buffers in turn."""
    t, c = ctx.torch, ctx.config
    tokens, hidden, layers = c['tokens'], c['hidden'], c['layers']
    f_all = 4 * hidden
    fs = chunks(f_all, ctx.world)
    mine = fs[ctx.rank]
    x = inputs.rows('X', (tokens, hidden), 0, tokens).to(ctx.dtype)
    cols = (mine.off, mine.off + mine.count)
    w1 = [inputs.rows(f'W1.{l}', (hidden, f_all), 0, hidden, *cols).to(ctx.dtype) for l in range(layers)]
    w2 = [inputs.rows(f'W2.{l}', (f_all, hidden), *cols).to(ctx.dtype) for l in range(layers)]
    h = t.empty((tokens, mine.count), dtype=ctx.dtype, device=ctx.device)
    ys = [t.empty((tokens, hidden), dtype=ctx.dtype, device=ctx.device) for _ in range(2)]
    split = RowSplit(ctx, tokens, hidden)
    sharded = c['output'] == 'sharded'
    own = t.empty((split.own().count, hidden), dtype=ctx.dtype, device=ctx.device)
    act: dict[int, Any] = {}  # GeLU(H) of each layer, made during the step
    phases: list[Phase] = []
    for l in range(layers):
        xin, y = (x if l == 0 else ys[(l - 1) % 2]), ys[l % 2]
        phases.append(Phase('compute', f'layer {l + 1} X·W1 (column-parallel)', matmul_into(t, xin, w1[l], h), 0))
        phases.append(Phase('compute', f'layer {l + 1} GeLU', gelu_into(t, h, act, l), 0))
        phases.append(Phase('compute', f'layer {l + 1} H·W2 (row-parallel)', matmul_act(t, act, l, w2[l], y), 0))
        if sharded and l == layers - 1:
            label = f'layer {l + 1} reduce-scatter Y'
            phases.append(Phase('comm', label, scatter_into(split, y, own), split.scatter_bytes()))
        else:
            bytes_ = ring_bytes(tokens * hidden, ctx.world, ctx.elem, 2)
            phases.append(Phase('comm', f'layer {l + 1} all-reduce Y', all_reduce_of(ctx, y), bytes_))
    last = ys[(layers - 1) % 2]
    return StepPlan(
        strategy='megatron',
        describe=f'Megatron MLP, {layers} layer(s), tensor-parallel over {ctx.world} ranks'
        + (', Y left split by tokens' if sharded else '')
        + f' ({ctx.dtype_name} on {ctx.device.type})',
        phases=phases,
        outputs=[(own, split.own().off)] if sharded else [(last, 0)],
        shape=(tokens, hidden),
        row_parts=split.parts if sharded else None,
        flops=layers * 16 * tokens * hidden * hidden,
        tensors=[x, *w1, *w2, h, *ys] + ([own] if sharded else []),
        reference=lambda rows: mlp_reference(ctx, inputs, rows, fs),
    )


def gelu_into(torch: Any, h: Any, act: dict[int, Any], l: int) -> Callable[[], None]:
    def run() -> None:
        act[l] = torch.nn.functional.gelu(h, approximate='tanh')

    return run


def matmul_act(torch: Any, act: dict[int, Any], l: int, w: Any, out: Any) -> Callable[[], Any]:
    return lambda: torch.matmul(act[l], w, out=out)


def scatter_into(split: RowSplit, full: Any, out: Any) -> Callable[[], None]:
    return lambda: split.reduce_scatter(full, out)


def all_reduce_of(ctx: Ctx, x: Any) -> Callable[[], Any]:
    return lambda: ctx.dist.all_reduce(x)


# --- float64 references on rank 0 ---------------------------------------------------------------------------------


def gemm_reference(ctx: Ctx, inputs: Inputs, rows: list[int], slices: list[Part]) -> tuple[Any, Any]:
    """C's rows from the inputs as they ran (rounded to the element type), in float64, summed slice by slice of K
    as the ranks do. Tolerance: (K + 8)·u32·Σ|a||b| for float32 accumulation, plus (slices + 2)·u·Σ|partial|
    for the partials rounded to the element type and the roundings of their sum."""
    t, c = ctx.torch, ctx.config
    m, n, k = c['m'], c['n'], c['k']
    a = inputs.pick('A', (m, k), rows).to(ctx.dtype).double()
    value = t.zeros((len(rows), n), dtype=t.float64, device=ctx.device)
    mag = t.zeros_like(value)  # Σ|a||b|
    partials = t.zeros_like(value)  # Σ over slices of |partial C|
    step = max(1, (1 << 26) // n)  # rows of B at a time: 512 MB of float64
    for s in slices:
        p = t.zeros_like(value)
        for k0 in range(s.off, s.off + s.count, step):
            k1 = min(s.off + s.count, k0 + step)
            b = inputs.rows('B', (k, n), k0, k1).to(ctx.dtype).double()
            p += a[:, k0:k1] @ b
            mag += a[:, k0:k1].abs() @ b.abs()
        value += p
        partials += p.abs()
    tol = (k + 8) * U32 * mag + (len(slices) + 2) * ctx.u_out * partials + 1e-30
    return value, tol


def gelu64(torch: Any, x: Any) -> Any:
    """GeLU, tanh form."""
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)))


def gelu64_slope(torch: Any, x: Any) -> Any:
    """The derivative of gelu64."""
    th = torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x))
    return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)


def mlp_reference(ctx: Ctx, inputs: Inputs, rows: list[int], fs: list[Part]) -> tuple[Any, Any]:
    """Y's token rows through every layer in float64 from the inputs as they ran, rank slice by rank slice of the
    4·hidden features, with error scales carried through the layers: each layer's own errors bounded (float32
    accumulation, roundings to the element type, GeLU's slope and curvature, the roundings of the all-reduce),
    and the errors a layer receives carried through its matmuls as a root sum of squares (independent roundings).
    The worst case, Σ|e||w|, grows by about √fan-in per matmul and bounds nothing after a few layers; the scale
    times PROPAGATION_MARGIN does, for roundings that are not adversarial."""
    t, c = ctx.torch, ctx.config
    tokens, hidden, layers = c['tokens'], c['hidden'], c['layers']
    f_all, u = 4 * hidden, ctx.u_out
    x = inputs.pick('X', (tokens, hidden), rows).to(ctx.dtype).double()
    ex = t.zeros_like(x)
    for l in range(layers):
        y, own, carried, partials = (t.zeros_like(x) for _ in range(4))  # carried: sum of squares
        for s in fs:
            w1 = inputs.rows(f'W1.{l}', (hidden, f_all), 0, hidden, s.off, s.off + s.count).to(ctx.dtype).double()
            h = x @ w1
            eh = (hidden + 8) * U32 * (x.abs() @ w1.abs()) + ((ex * ex) @ (w1 * w1)).sqrt() + u * h.abs()
            g = gelu64(t, h)
            eg = gelu64_slope(t, h).abs() * eh + GELU_MAX_CURVATURE / 2 * eh * eh  # Taylor, with |GeLU''| ≤ 0.8
            eg += (u + 4 * U32) * g.abs() + 4 * U32 * h.abs()
            w2 = inputs.rows(f'W2.{l}', (f_all, hidden), s.off, s.off + s.count).to(ctx.dtype).double()
            p = g @ w2
            own += (s.count + 8) * U32 * (g.abs() @ w2.abs())
            carried += (eg * eg) @ (w2 * w2)
            y += p
            partials += p.abs()
        x, ex = y, own + carried.sqrt() + (len(fs) + 2) * u * partials
    return x, PROPAGATION_MARGIN * ex + 1e-30


def check_rows(ctx: Ctx, plan: StepPlan) -> dict[str, Any]:
    """Every rank's outputs against the reference of rank 0 (broadcast) on the sampled rows, which include the
    first row of every rank's part; counts and largest errors summed and maxed over the ranks."""
    t = ctx.torch
    rows_all, cols = plan.shape
    rows = set(sample_indices(rows_all, cols))
    rows |= {p.off for p in plan.row_parts or [] if p.count}
    rows_l = sorted(rows)
    if ctx.rank == 0:
        value, tol = plan.reference(rows_l)
    else:
        value = t.empty((len(rows_l), cols), dtype=t.float64, device=ctx.device)
        tol = t.empty_like(value)
    ctx.dist.broadcast(value, 0)
    ctx.dist.broadcast(tol, 0)
    checked = wrong = 0
    max_abs = max_rel = 0.0
    for out, r0 in plan.outputs:
        sel = [i for i, r in enumerate(rows_l) if r0 <= r < r0 + out.shape[0]]
        if not sel:
            continue
        idx = t.tensor(sel, device=ctx.device)
        got = out[t.tensor([rows_l[i] - r0 for i in sel], device=ctx.device)].double()
        want, bound = value[idx], tol[idx]
        err = (got - want).abs()
        checked += err.numel()
        wrong += int((~(err <= bound)).sum().item())
        err = t.nan_to_num(err, nan=math.inf)
        max_abs = max(max_abs, err.max().item())
        max_rel = max(max_rel, (err / want.abs().clamp_min(1e-30)).max().item())
    checked, wrong = ctx.reduce([checked, wrong], 'SUM')
    max_abs, max_rel = ctx.reduce([max_abs, max_rel], 'MAX')
    return {'checked': int(checked), 'wrong': int(wrong), 'maxAbsErr': max_abs, 'maxRelErr': max_rel}


def inject_fault(ctx: Ctx, plan: StepPlan) -> None:
    """Test-only (WAFER_BENCH_TORCH_FAULT=1): the last rank's first output element off by one, so a test can see
    that verification catches a wrong result."""
    if os.environ.get('WAFER_BENCH_TORCH_FAULT') == '1' and ctx.rank == ctx.world - 1:
        plan.outputs[0][0].view(-1)[0] += 1


# --- timing ------------------------------------------------------------------------------------------------------


class Timing(NamedTuple):
    walls: list[float]  # ms per timed step, on rank 0
    compute_ms: float  # median over the phase-synchronised steps, rank 0
    comm_ms: float
    events: list[dict[str, Any]]  # the last phase-synchronised step on every rank (TimelineEvent), on rank 0


def time_steps(ctx: Ctx, phases: list[Phase]) -> Timing:
    """`warmup` untimed steps; `iters` timed ones, each from a barrier to the device synchronisation after it; then
    up to 3 steps synchronised after every phase, for the split and the timeline."""
    c = ctx.config
    for _ in range(c['warmup']):
        for p in phases:
            p.run()
    ctx.sync()
    walls = []
    for _ in range(c['iters']):
        ctx.barrier()
        t0 = time.perf_counter()
        for p in phases:
            p.run()
        ctx.sync()
        walls.append((time.perf_counter() - t0) * 1e3)
    splits, spans = [], []
    for _ in range(min(3, c['iters'])):
        ctx.barrier()
        t0 = time.perf_counter()
        spans = []
        for p in phases:
            start = time.perf_counter()
            p.run()
            ctx.sync()
            spans.append(((start - t0) * 1e3, (time.perf_counter() - start) * 1e3))
        splits.append([sum(d for (_, d), p in zip(spans, phases) if p.kind == kind) for kind in ('compute', 'comm')])
    events = gather_events(ctx, phases, spans)
    compute = sorted(s[0] for s in splits)
    comm = sorted(s[1] for s in splits)
    return Timing(walls, quantile(compute, 0.5), quantile(comm, 0.5), events)


def gather_events(ctx: Ctx, phases: list[Phase], spans: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """Each rank's (start, duration) of every phase (ms from its own start) as timeline events, on every rank."""
    t = ctx.torch
    mine = t.tensor(spans, dtype=t.float64, device=ctx.device).reshape(len(phases), 2)
    all_ = [t.empty_like(mine) for _ in range(ctx.world)]
    ctx.dist.all_gather(all_, mine)
    out = []
    for rank, spans_r in enumerate(all_):
        for node, (p, (start, dur)) in enumerate(zip(phases, spans_r.tolist())):
            event = {'node': node, 'device': rank, 'kind': p.kind, 'label': p.label}
            out.append({**event, 'start': start, 'dur': dur, 'bytes': p.bytes})
    return out


# --- the runs ----------------------------------------------------------------------------------------------------


def run_step(ctx: Ctx) -> dict[str, Any]:
    """A step workload (gemm, mlp): planned, timed, verified; the run record."""
    inputs = Inputs(ctx)
    plan = step_plan(ctx, inputs)
    timing = time_steps(ctx, plan.phases)
    inject_fault(ctx, plan)
    check = check_rows(ctx, plan) if ctx.config['verify'] else None
    gflops = summarize([plan.flops / (w * 1e6) for w in timing.walls if w > 0])
    sent = sum(p.bytes for p in plan.phases)
    record = run_record(ctx, plan.strategy, plan.describe, plan.flops, sent, timing, check, plan.tensors)
    record['gflops'] = {k: gflops[k] for k in ('median', 'p10', 'p90')}
    return record


def run_record(
    ctx: Ctx,
    strategy: str,
    describe: str,
    flops: int,
    comm_bytes: int,
    timing: Timing,
    check: dict[str, Any] | None,
    tensors: list[Any],
) -> dict[str, Any]:
    """A RunRecord of mode 'cluster' from what was measured and checked (no emulation, no projection)."""
    step = timing.compute_ms + timing.comm_ms
    record = {
        'mode': 'cluster',
        'workload': ctx.config['workload'],
        'devices': ctx.world,
        'units': ctx.world,
        'tiles': None,
        'strategy': strategy,
        'collective': ctx.transport,
        'link': 'measured',
        'linkModel': None,
        'flops': flops,
        'commBytes': comm_bytes,
        'verified': bool(check and check['wrong'] == 0 and check['checked'] > 0),
        'maxAbsErr': check['maxAbsErr'] if check else 0,
        'maxRelErr': check['maxRelErr'] if check else 0,
        'checked': check['checked'] if check else 0,
        'stepMs': summarize(timing.walls),
        'emulatedStepMs': no_samples(),
        'targetStepUs': None,
        'gflops': {'median': 0, 'p10': 0, 'p90': 0},
        'computeMs': timing.compute_ms,
        'commMs': timing.comm_ms,
        'exposedCommMs': timing.comm_ms,
        'commFraction': timing.comm_ms / step if step > 0 else None,
        'timeline': [],
        'measuredTimeline': timing.events,
        'iterations': [{'stepMs': w, 'emulatedStepMs': None, 'hidden': False} for w in timing.walls],
        'kernelKeys': [],
        'ledger': {
            'held': {'buffers': len(tensors), 'bytes': sum(x.numel() * x.element_size() for x in tensors)},
            'leftAfterFree': {'buffers': None, 'bytes': None},
            'workers': ctx.world,
        },
        'describe': describe,
        'emulation': f'measured on a real cluster with torch.distributed ({ctx.transport})',
    }
    if check and check['wrong']:
        record['error'] = f'{check["wrong"]} of {check["checked"]} checked elements are off the reference by more than '
        record['error'] += 'the tolerance'
    return record


def pattern_chunks(ctx: Ctx, buf: Any) -> Iterator[tuple[int, int, Any]]:
    """`buf` in chunks of 2^24 elements: each chunk's bounds lo, hi and its element indices (int64, on the device)."""
    t = ctx.torch
    for lo in range(0, buf.numel(), 1 << 24):
        hi = min(buf.numel(), lo + (1 << 24))
        yield lo, hi, t.arange(lo, hi, device=ctx.device, dtype=t.int64)


def fill_pattern(ctx: Ctx, buf: Any, base: int) -> None:
    """Rank-dependent integers in −5..5: element i of rank r is ((i + 3r + base) mod 11) − 5."""
    for lo, hi, i in pattern_chunks(ctx, buf):
        buf[lo:hi] = ((i + 3 * ctx.rank + base) % 11 - 5).to(buf.dtype)


def count_wrong(ctx: Ctx, buf: Any, base: int) -> tuple[int, float, float]:
    """Elements of the all-reduced pattern that differ from the exact sum, and the largest absolute and relative
    differences, over the ranks. Over 11 consecutive ranks (i + 3r) mod 11 takes every residue once, so the sum
    has a closed form."""
    t, n = ctx.torch, ctx.world
    wrong, worst, worst_rel = 0, 0.0, 0.0
    for lo, hi, i in pattern_chunks(ctx, buf):
        want = t.full_like(i, 55 * (n // 11) - 5 * n)
        for j in range(n % 11):
            want += (i + 3 * j + base) % 11
        diff = t.nan_to_num((buf[lo:hi].double() - want.double()).abs(), nan=math.inf)
        wrong += int((diff != 0).sum().item())
        worst = max(worst, diff.max().item())
        worst_rel = max(worst_rel, (diff / want.abs().clamp_min(1)).max().item())
    (wrong_all,) = ctx.reduce([wrong], 'SUM')
    worst, worst_rel = ctx.reduce([worst, worst_rel], 'MAX')
    return int(wrong_all), worst, worst_rel


def time_loop(ctx: Ctx, op: Callable[[], Any]) -> float:
    """nccl-tests' timing: `warmup` operations, a barrier, then `iters` back to back; the mean µs per operation on
    rank 0."""
    c = ctx.config
    for _ in range(c['warmup']):
        op()
    ctx.barrier()
    t0 = time.perf_counter()
    for _ in range(c['iters']):
        op()
    ctx.sync()
    return (time.perf_counter() - t0) * 1e6 / c['iters']


def run_allreduce(ctx: Ctx) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The sweep: a row per size; then the largest size timed operation by operation for the run record.

    The timed operations reduce zeros in place (values do not change the time, and repeated in-place sums of
    other data would overflow); the check fills the pattern and reduces once more."""
    t, c, n = ctx.torch, ctx.config, ctx.world
    base = c['seed'] % 11
    rows: list[dict[str, Any]] = []
    check = {'checked': 0, 'wrong': 0, 'maxAbsErr': 0.0, 'maxRelErr': 0.0}  # over every size
    buf = None
    for size in sweep_sizes(c):
        count = size // 4
        buf = None  # the previous size's buffer goes first
        buf = t.zeros(count, dtype=t.float32, device=ctx.device)
        us = time_loop(ctx, all_reduce_of(ctx, buf))
        wrong = None
        if c['verify']:
            fill_pattern(ctx, buf, base)
            ctx.dist.all_reduce(buf)
            wrong, worst, worst_rel = count_wrong(ctx, buf, base)
            check['checked'] += count * n
            check['wrong'] += wrong
            check['maxAbsErr'] = max(check['maxAbsErr'], worst)
            check['maxRelErr'] = max(check['maxRelErr'], worst_rel)
        algbw = size / (us * 1e-6) / 1e9 if us > 0 else math.nan  # decimal GB/s
        rows.append(
            {
                'mode': 'cluster',
                'algorithm': ctx.transport,
                'devices': n,
                'bytes': size,
                'count': count,
                'timeUs': None,
                'algbw': None,
                'busbw': None,
                'wrong': wrong,
                'measuredTimeUs': us,
                'measuredBusbw': algbw * 2 * (n - 1) / n,
            }
        )
    buf.zero_()
    sent = ring_bytes(buf.numel(), n, 4, 2)
    timing = time_steps(ctx, [Phase('comm', 'all-reduce', all_reduce_of(ctx, buf), sent)])
    describe = f'{ctx.transport} all-reduce of {rows[-1]["bytes"]} bytes (float32, in place) over {n} ranks'
    describe += ' (the largest size of the sweep)'
    return run_record(ctx, 'allreduce', describe, 0, sent, timing, check if c['verify'] else None, [buf]), rows


# --- the rank: setup, environment, result -------------------------------------------------------------------------


def environment(ctx: Ctx) -> tuple[dict[str, Any], list[str]]:
    """The result's env (hosts and device names gathered from every rank), and notes about it."""
    t, dist = ctx.torch, ctx.dist
    name = t.cuda.get_device_name(ctx.device) if ctx.device.type == 'cuda' else 'cpu'
    everyone: list[Any] = [None] * ctx.world
    dist.all_gather_object(everyone, (socket.gethostname(), name))
    hosts = sorted({h for h, _ in everyone})
    names = sorted({d for _, d in everyone})
    listed = ', '.join(hosts[:4]) + (', …' if len(hosts) > 4 else '')
    agent = f'torch {t.__version__} / python {platform.python_version()}'
    if ctx.backend == 'nccl':
        v = t.cuda.nccl.version()
        agent += f' / {ctx.transport} ' + ('.'.join(map(str, v)) if isinstance(v, tuple) else str(v))
    notes = [] if len(names) == 1 else ['the ranks have different devices: ' + ', '.join(names)]
    env = {
        'userAgent': agent,
        'crossOriginIsolated': False,
        'transport': ctx.transport,
        'timestampQuery': False,
        'adapter': {
            'vendor': 'torch',
            'architecture': name,
            'description': f'{plural(ctx.world, "rank")} on {plural(len(hosts), "host")} ({listed})',
            'isFallbackAdapter': False,
        },
        'features': [],
        'limits': {},
        'backend': 'torch',
    }
    return env, notes


def plural(n: int, what: str) -> str:
    return f'{n} {what}' + ('s' if n != 1 else '')


def build_result(
    ctx: Ctx, started: str, env: dict[str, Any], record: dict[str, Any], rows: list[dict[str, Any]], notes: list[str]
) -> dict[str, Any]:
    steps = ctx.config['workload'] != 'allreduce'
    return {
        'schema': 2,
        'tool': 'wafer-bench',
        'version': VERSION,
        'startedAt': started,
        'config': ctx.config,
        'env': env,
        'runs': [record],
        'collectives': rows,
        'summary': {
            'waferGflops': None,
            'clusterGflops': record['gflops']['median'] if steps else None,
            'speedup': None,
            'waferCommFraction': None,
            'clusterCommFraction': record['commFraction'],
            'waferUnits': None,
            'clusterUnits': ctx.world,
        },
        'localGflops': None,
        'autotune': {'ranking': [], 'cached': False},
        'notes': notes,
    }


def fmt(x: Any, d: int = 3) -> str:
    """A number as the CLI's tables print it (src/cli/tables.ts)."""
    if x is None or not math.isfinite(x):
        return '-'
    a = abs(x)
    if a and (a >= 1e6 or a < 1e-3):
        return f'{x:.{d - 1}e}'
    return f'{x:.{1 if a >= 100 else 2 if a >= 1 else 4}f}'


def table(head: list[str], rows: list[list[str]]) -> str:
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def line(r: list[str]) -> str:
        return '  '.join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(r)).rstrip()

    return '\n'.join([line(head), *map(line, rows)]) + '\n'


def text_report(result: dict[str, Any]) -> str:
    """The nccl-tests-like summary rank 0 prints."""
    c, env, run = result['config'], result['env'], result['runs'][0]
    ad = env['adapter']
    out = f'# wafer-bench {result["version"]} (torch): {c["workload"]} on {ad["description"]}, {env["transport"]}, '
    out += f'{ad["architecture"]}, precision {c["precision"]}\n'
    if result['collectives']:
        out += '# in place; time = mean per operation; algbw = size / time, busbw = algbw · 2(n−1)/n, decimal GB/s\n'
        rows = []
        for x in result['collectives']:
            us, busbw = x['measuredTimeUs'], x['measuredBusbw']
            algbw = x['bytes'] / (us * 1e3) if us else None
            wrong = '-' if x['wrong'] is None else str(x['wrong'])
            rows.append([str(x['bytes']), str(x['count']), 'float', 'sum', fmt(us), fmt(algbw), fmt(busbw), wrong])
        out += table(['size(B)', 'count', 'type', 'redop', 'time(us)', 'algbw(GB/s)', 'busbw(GB/s)', '#wrong'], rows)
    else:
        s = run['stepMs']
        out += table(
            ['mode', 'layout', 'ranks', 'verified', 'step ms', 'p10', 'p90', 'GFLOP/s']
            + ['compute ms', 'comm ms', 'comm %', 'bytes/rank/step', 'max rel err'],
            [
                [
                    run['mode'],
                    f'{run["strategy"]}/{run["collective"]}',
                    str(run['units']),
                    'yes' if run['verified'] else ('off' if not c['verify'] else 'NO'),
                    fmt(s['median']),
                    fmt(s['p10']),
                    fmt(s['p90']),
                    fmt(run['gflops']['median']),
                    fmt(run['computeMs']),
                    fmt(run['commMs']),
                    fmt(run['commFraction'] * 100 if run['commFraction'] is not None else None),
                    str(run['commBytes']),
                    fmt(run['maxRelErr']),
                ]
            ],
        )
    out += f'# {run["describe"]}\n'
    if run.get('error'):
        out += f'# error: {run["error"]}\n'
    for n in result['notes']:
        out += f'# note: {n}\n'
    return out


def run_rank(rank: int, world: int, local: int, opts: dict[str, Any]) -> int:
    """One rank from start to end; rank 0 prints and writes the result. The exit status (0, or 1 when the result
    did not verify)."""
    import torch
    import torch.distributed as dist

    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
    if opts['device'] == 'cuda':
        visible = torch.cuda.device_count()
        if local >= visible > 1:
            raise RuntimeError(f'local rank {local} has no GPU of its own: {visible} visible to it')
        device = torch.device('cuda', local if visible > 1 else 0)  # one visible: the launcher chose it
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = False  # precision=f32 means float32 products
        for flag in ('allow_bf16_reduced_precision_reduction', 'allow_fp16_reduced_precision_reduction'):
            if hasattr(torch.backends.cuda.matmul, flag):
                setattr(torch.backends.cuda.matmul, flag, False)  # float32 accumulation, as the tolerance assumes
    else:
        device = torch.device('cpu')
        if opts['spawned']:
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    timeout = datetime.timedelta(milliseconds=opts['config']['timeout'])
    dist.init_process_group(opts['backend'], init_method='env://', rank=rank, world_size=world, timeout=timeout)
    try:
        ctx = Ctx(torch, rank, world, device, opts)
        env, env_notes = environment(ctx)
        if ctx.config['workload'] == 'allreduce':
            record, rows = run_allreduce(ctx)
        else:
            record, rows = run_step(ctx), []
        if rank == 0:
            notes = run_notes(ctx) + env_notes
            result = json_ready(build_result(ctx, started, env, record, rows, notes))
            print(text_report(result), end='', flush=True)
            if opts['json']:
                with open(opts['json'], 'w', encoding='utf-8') as fh:
                    json.dump(result, fh, indent=1, allow_nan=False, ensure_ascii=False)
                    fh.write('\n')
        ctx.barrier()
        failed = ctx.config['verify'] and not record['verified']
        return 1 if failed else 0
    finally:
        dist.destroy_process_group()


def run_notes(ctx: Ctx) -> list[str]:
    notes = list(ctx.notes)
    c = ctx.config
    if c['workload'] == 'allreduce':
        notes.append('nccl-tests style: in place, float32 elements, time = mean of `iters` operations back to back on '
                     'rank 0 after a barrier')
    else:
        notes.append('step time: wall time on rank 0 from a barrier (with device synchronisation) to the '
                     'synchronisation after the step')
        notes.append('compute and comm: medians of up to 3 more steps synchronised after every phase; the timeline is '
                     'the last of them')
    ksplit = c['workload'] == 'gemm' and c['strategy'] == 'ksplit'
    scatters = c['output'] == 'sharded' and (c['workload'] == 'mlp' or ksplit)
    if ctx.backend == 'gloo' and ctx.world > 1 and scatters:
        notes.append('gloo has no reduce-scatter: it runs as a ring of sends and receives')
    if ctx.device.type == 'cuda':
        notes.append('matmuls accumulate in float32 (TF32 and reduced-precision reductions off)')
    return notes


def worker(rank: int, world: int, port: int, opts: dict[str, Any], status: Any = None) -> int:
    """A rank started by --spawn (or the only rank): the rendezvous on 127.0.0.1:port; rank 0 reports its status."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world))
    os.environ['LOCAL_RANK'] = str(rank)
    code = run_rank(rank, world, rank, opts)
    if rank == 0 and status is not None:
        status.put(code)
    return code


# --- the command line ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog='wafer_bench_torch.py',
        description="Runs wafer-bench's cluster workloads with torch.distributed and writes its result JSON.",
    )
    p.add_argument('query', nargs='?', default='', help='the page\'s query string, e.g. "workload=gemm&m=4096"')
    p.add_argument('--json', metavar='FILE', help='write the result JSON here (rank 0)')
    p.add_argument('--backend', choices=('nccl', 'gloo', 'auto'), default='auto', help='auto: nccl on GPUs, else gloo')
    p.add_argument('--device', choices=('cuda', 'cpu', 'auto'), default='auto', help='auto: cuda when torch sees a GPU')
    p.add_argument('--spawn', type=int, metavar='N', help='start N ranks on this machine (not under torchrun)')
    p.add_argument('--dry-run', action='store_true', help='print the normalized configuration and exit (no torch)')
    return p.parse_args(argv)


def ranks_of(args: argparse.Namespace) -> int:
    launched = 'RANK' in os.environ and 'WORLD_SIZE' in os.environ
    if args.spawn is not None:
        if launched:
            raise UsageError('--spawn starts its own ranks; under torchrun leave it out')
        if not 1 <= args.spawn <= MAX_UNITS:
            raise UsageError(f'--spawn must be from 1 to {MAX_UNITS}')
        return args.spawn
    return int(os.environ['WORLD_SIZE']) if launched else 1


def resolve_device(args: argparse.Namespace, torch: Any) -> tuple[str, str, str]:
    """(device type, backend, transport) from the flags and what torch sees."""
    cuda = torch.cuda.is_available()
    device = args.device if args.device != 'auto' else ('cuda' if cuda else 'cpu')
    backend = args.backend if args.backend != 'auto' else ('nccl' if device == 'cuda' else 'gloo')
    if device == 'cuda' and not cuda:
        raise UsageError('--device cuda: torch sees no GPU here')
    if backend == 'nccl' and device != 'cuda':
        raise UsageError('--backend nccl needs --device cuda (gloo runs on CPU)')
    if backend == 'gloo' and device == 'cuda':
        raise UsageError('--backend gloo runs on CPU here; GPUs use nccl')
    if not getattr(torch.distributed, f'is_{backend}_available')():
        raise UsageError(f'this torch has no {backend} backend')
    if device == 'cuda' and args.spawn and args.spawn > torch.cuda.device_count():
        raise UsageError(f'--spawn {args.spawn} needs a GPU per rank; torch sees {torch.cuda.device_count()}')
    transport = 'rccl' if backend == 'nccl' and getattr(torch.version, 'hip', None) else backend
    return device, backend, transport


def resolve_precision(config: dict[str, Any], device: str, notes: list[str]) -> None:
    """The precision that runs, recorded in config.precision (the query's is named in a note when it differs)."""
    asked = config['precision']
    if config['workload'] == 'allreduce':
        ran, why = 'f32', 'the all-reduce sweep moves float32 elements, as nccl-tests does by default'
    elif device == 'cpu':
        ran, why = 'f32', 'on CPU the step runs in float32'
    elif asked == 'fp8':
        ran, why = 'bf16', 'torch has no portable fp8 matmul; the step runs in bfloat16'
    else:
        ran, why = asked, ''
    if ran != asked:
        notes.append(f'precision {asked} → {ran}: {why}; config.precision says what ran')
    config['precision'] = ran


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        ranks = ranks_of(args)
        config, notes = parse_query(args.query, ranks)
        if args.dry_run:
            print(json.dumps(config, indent=1))
            return 0
        try:
            import torch
            import torch.distributed  # noqa: F401
            import torch.multiprocessing as mp
        except ImportError as e:
            why = 'install it (pip install torch, or apt-get install python3-torch)'
            print(f'wafer_bench_torch: torch is needed ({e}); {why}', file=sys.stderr)
            return 1
        device, backend, transport = resolve_device(args, torch)
        resolve_precision(config, device, notes)
    except UsageError as e:
        print(f'wafer_bench_torch: {e}', file=sys.stderr)
        return 2
    opts = {'config': config, 'notes': notes, 'device': device, 'backend': backend, 'transport': transport}
    opts.update(json=args.json, spawned=args.spawn is not None)
    if 'RANK' in os.environ and 'WORLD_SIZE' in os.environ and args.spawn is None:
        return run_rank(int(os.environ['RANK']), ranks, int(os.environ.get('LOCAL_RANK', '0')), opts)
    if args.spawn is None:
        return worker(0, 1, free_port(), opts)
    status = mp.get_context('spawn').SimpleQueue()
    try:
        mp.spawn(worker, args=(ranks, free_port(), opts, status), nprocs=ranks, join=True)
    except Exception as e:  # a rank failed: its traceback is in the message
        print(f'wafer_bench_torch: a rank failed: {str(e).strip() or type(e).__name__}', file=sys.stderr)
        return 1
    return status.get() if not status.empty() else 1


if __name__ == '__main__':
    sys.exit(main())
