"""Deterministic traffic model of the lab's demo service (stable and canary tracks).

Pure Python, no I/O: the live exporter (``spooky_lab.demo_app``) and the history
backfill (``spooky_lab.prometheus.backfill``) both drive the same ``TrafficModel`` so
the counters of the history continue seamlessly into the live ones.

Time is processed in whole-second *ticks*: tick ``s`` adds the traffic of the interval
``[s, s+1)`` using the weight and scenario in force at that moment.  The noise of a tick
only depends on ``(seed, cluster, track, s)``, so the same inputs always give the same
counters, however the advancing is chunked (one call per second live, or thousands of
ticks at once for history).  Counters only ever grow.

Scenarios (they apply to the canary track; stable is always healthy):

``healthy``     ~0.05 % errors, p95 latency ~60 ms, like stable.
``failing``     2 % errors, latency like stable.
``slow``        healthy error rate, p95 latency creeps up by 1 ms per minute from the
                moment the scenario is set and levels off at 95 ms: a statistical
                comparison with stable sees it, an absolute "p95 < 100 ms" threshold
                never fires.  (2 ms/min would cross 100 ms after 20 minutes.)
``no-traffic``  the canary receives no requests at all whatever the weight; the stable
                track takes the whole rate, as ingress-nginx does when the canary has no
                endpoints.
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass, field
from typing import Dict, Iterable, Mapping, Optional, Tuple

TRACKS = ("stable", "canary")
SCENARIOS = ("healthy", "failing", "slow", "no-traffic")
DEFAULT_SCENARIO = "healthy"
DEFAULT_TOTAL_RATE = 20.0  # requests per second per cluster
DEFAULT_WEIGHT = 10  # canary weight assumed when nothing better is known

HEALTHY_ERROR_RATIO = 0.0005
FAILING_ERROR_RATIO = 0.02
HEALTHY_P95_SECONDS = 0.060
SLOW_CREEP_SECONDS_PER_MINUTE = 0.001
SLOW_P95_CEILING_SECONDS = 0.095
# Log-normal latency: sigma fixed, the median follows the wanted p95 (median = p95 / 2).
LATENCY_SIGMA = math.log(2.0) / 1.6448536269514722
_Z95 = 1.6448536269514722

# Histogram buckets (upper bounds, seconds), 5 ms .. 5 s, dense around the 60-100 ms
# region the canary judges look at.  +Inf is implicit.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.06, 0.075, 0.09, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)


def _go_float(value: float) -> str:
    # Same formatting as prometheus_client (floatToGoString) so the `le` label of the
    # backfilled history and of the live exporter are byte-identical.
    if value == math.inf:
        return "+Inf"
    return repr(float(value))


BUCKET_LABELS = tuple(_go_float(b) for b in BUCKETS)
_LOG_BUCKETS = tuple(math.log(b) for b in BUCKETS)
_SIGMA_SQRT2 = LATENCY_SIGMA * math.sqrt(2.0)

# Noise: multiplicative factors, clamped so the scenarios stay unambiguous.
_RATE_NOISE = (0.05, 0.85, 1.15)  # (sigma, min, max)
_ERROR_NOISE = (0.15, 0.6, 1.4)
_LATENCY_NOISE = (0.01, 0.97, 1.03)


def check_scenario(name: str) -> str:
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}")
    return name


def check_weight(weight) -> int:
    w = int(weight)
    if not 0 <= w <= 100:
        raise ValueError(f"canary weight must be within 0..100, got {weight!r}")
    return w


@dataclass(frozen=True)
class Scenario:
    """The scenario of a track and the moment (unix seconds) it was set."""

    name: str = DEFAULT_SCENARIO
    since: float = 0.0

    def __post_init__(self):
        check_scenario(self.name)

    def to_dict(self) -> dict:
        return {"canary": self.name, "since": self.since}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Scenario":
        return cls(name=data.get("canary", DEFAULT_SCENARIO), since=float(data.get("since", 0.0)))


@dataclass(frozen=True)
class TrackProfile:
    """Expected (noise-free) traffic of one track at one moment."""

    rate: float  # requests per second
    error_ratio: float  # fraction of requests answered 500
    p95: float  # seconds

    @property
    def error_rate(self) -> float:
        return self.rate * self.error_ratio

    @property
    def median(self) -> float:
        return self.p95 / math.exp(_Z95 * LATENCY_SIGMA)

    @property
    def mean_latency(self) -> float:
        return self.median * math.exp(LATENCY_SIGMA ** 2 / 2)

    def quantile(self, q: float) -> float:
        """Exact latency quantile of the model's log-normal distribution."""
        return self.median * math.exp(LATENCY_SIGMA * _probit(q))

    def bucket_fractions(self, buckets: Iterable[float] = BUCKETS) -> Tuple[float, ...]:
        """Cumulative share of requests at or below each bucket bound."""
        if buckets is BUCKETS:  # the hot path of the model: precomputed logarithms
            log_median = math.log(self.median)
            return tuple(0.5 * (1.0 + math.erf((lb - log_median) / _SIGMA_SQRT2)) for lb in _LOG_BUCKETS)
        return tuple(_lognormal_cdf(b, self.median) for b in buckets)


def _lognormal_cdf(x: float, median: float) -> float:
    return 0.5 * (1.0 + math.erf(math.log(x / median) / (LATENCY_SIGMA * math.sqrt(2.0))))


def _probit(q: float) -> float:
    # Bisection on erf: plenty precise for tests and documentation.
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def canary_p95(scenario: Scenario, t: float) -> float:
    if scenario.name != "slow":
        return HEALTHY_P95_SECONDS
    minutes = max(0.0, t - scenario.since) / 60.0
    return min(HEALTHY_P95_SECONDS + SLOW_CREEP_SECONDS_PER_MINUTE * minutes, SLOW_P95_CEILING_SECONDS)


def track_profiles(weight: int, scenario: Scenario, t: float,
                   total_rate: float = DEFAULT_TOTAL_RATE) -> Dict[str, TrackProfile]:
    """Expected traffic of both tracks of a cluster at time ``t``.

    ``weight`` is the canary weight 0..100 (share of requests routed to canary);
    ``scenario`` the canary's scenario.
    """
    weight = check_weight(weight)
    canary_share = 0.0 if scenario.name == "no-traffic" else weight / 100.0
    stable = TrackProfile(rate=total_rate * (1.0 - canary_share), error_ratio=HEALTHY_ERROR_RATIO,
                          p95=HEALTHY_P95_SECONDS)
    canary = TrackProfile(
        rate=total_rate * canary_share,
        error_ratio=FAILING_ERROR_RATIO if scenario.name == "failing" else HEALTHY_ERROR_RATIO,
        p95=canary_p95(scenario, t),
    )
    return {"stable": stable, "canary": canary}


@dataclass
class TrackCounters:
    """Cumulative counters of one track (floats: the model adds expected values)."""

    ok: float = 0.0  # code="200"
    errors: float = 0.0  # code="500"
    count: float = 0.0  # histogram _count (= +Inf bucket)
    sum: float = 0.0  # histogram _sum (seconds)
    buckets: list = field(default_factory=lambda: [0.0] * len(BUCKETS))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "errors": self.errors, "count": self.count, "sum": self.sum,
                "buckets": list(self.buckets)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "TrackCounters":
        buckets = [float(v) for v in data.get("buckets", [])]
        if len(buckets) != len(BUCKETS):
            raise ValueError("bucket layout of the saved counters does not match the model")
        return cls(ok=float(data["ok"]), errors=float(data["errors"]), count=float(data["count"]),
                   sum=float(data["sum"]), buckets=buckets)


def _stable_id(text: str) -> int:
    return zlib.crc32(text.encode())  # not hash(): that one changes with every process


def _clamped_gauss(rng: random.Random, spec) -> float:
    sigma, lo, hi = spec
    return min(hi, max(lo, rng.gauss(1.0, sigma)))


def tick_noise(seed: int, cluster: str, track: str, tick: int) -> Tuple[float, float, float]:
    """(rate, error, latency) noise factors of one tick; pure function of its inputs."""
    rng = random.Random((int(seed) & 0xFFFFFFFF) << 72 ^ _stable_id(f"{cluster}/{track}") << 40 ^ int(tick))
    return (_clamped_gauss(rng, _RATE_NOISE), _clamped_gauss(rng, _ERROR_NOISE),
            _clamped_gauss(rng, _LATENCY_NOISE))


class TrafficModel:
    """Counters of every (cluster, track), advanced tick by tick.

    ``next_tick`` is the first second not yet accounted for: the counters hold the
    traffic of every second before it.
    """

    # Longer gaps (e.g. the lab was down for a day) are skipped rather than replayed.
    MAX_CATCH_UP_SECONDS = 3 * 3600

    def __init__(self, clusters: Iterable[str], start: float, seed: int = 0,
                 total_rate: float = DEFAULT_TOTAL_RATE):
        self.clusters = tuple(clusters)
        self.seed = int(seed)
        self.total_rate = float(total_rate)
        self.next_tick = int(math.floor(start))
        self.counters: Dict[str, Dict[str, TrackCounters]] = {
            c: {t: TrackCounters() for t in TRACKS} for c in self.clusters}

    # -- advancing -------------------------------------------------------------------
    def advance(self, until: float, weights: Mapping[str, int],
                scenarios: Mapping[str, Scenario]) -> int:
        """Account every whole second before ``until``; returns the ticks processed."""
        end = int(math.floor(until))
        if end - self.next_tick > self.MAX_CATCH_UP_SECONDS:
            self.next_tick = end - self.MAX_CATCH_UP_SECONDS
        done = 0
        while self.next_tick < end:
            self._tick(self.next_tick, weights, scenarios)
            self.next_tick += 1
            done += 1
        return done

    def _tick(self, s: int, weights, scenarios) -> None:
        for cluster in self.clusters:
            weight = weights.get(cluster, DEFAULT_WEIGHT)
            scenario = scenarios.get(cluster) or Scenario()
            profiles = track_profiles(weight, scenario, s, self.total_rate)
            for track, profile in profiles.items():
                if profile.rate <= 0.0:
                    continue  # no requests, no noise: counters stay exactly where they are
                rate_f, err_f, lat_f = tick_noise(self.seed, cluster, track, s)
                n = profile.rate * rate_f
                err_ratio = min(1.0, profile.error_ratio * err_f)
                noisy = TrackProfile(rate=n, error_ratio=err_ratio, p95=profile.p95 * lat_f)
                c = self.counters[cluster][track]
                c.errors += n * err_ratio
                c.ok += n * (1.0 - err_ratio)
                c.count += n
                c.sum += n * noisy.mean_latency
                for i, frac in enumerate(noisy.bucket_fractions()):
                    c.buckets[i] += n * frac

    # -- persistence -----------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "version": 1,
            "seed": self.seed,
            "total_rate": self.total_rate,
            "next_tick": self.next_tick,
            "buckets": list(BUCKETS),
            "counters": {c: {t: tc.to_dict() for t, tc in tracks.items()}
                         for c, tracks in self.counters.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping, clusters: Optional[Iterable[str]] = None,
                  seed: Optional[int] = None, total_rate: Optional[float] = None) -> "TrafficModel":
        """Rebuild a model; clusters missing from ``data`` start at zero."""
        if data.get("version") != 1 or list(data.get("buckets", [])) != list(BUCKETS):
            raise ValueError("saved traffic state has an incompatible layout")
        clusters = tuple(clusters) if clusters is not None else tuple(data["counters"])
        model = cls(clusters, start=int(data["next_tick"]),
                    seed=data.get("seed", 0) if seed is None else seed,
                    total_rate=data.get("total_rate", DEFAULT_TOTAL_RATE) if total_rate is None else total_rate)
        for cluster in clusters:
            for track in TRACKS:
                saved = data["counters"].get(cluster, {}).get(track)
                if saved is not None:
                    model.counters[cluster][track] = TrackCounters.from_dict(saved)
        return model
