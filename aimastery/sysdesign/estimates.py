"""Back-of-envelope capacity and cost estimates from named parameters.

Taught in ``book/sysdesign/index.md`` and used by every chapter of the
System design part. A design states its traffic (:class:`Traffic`), the
fleets of machines that serve it (:class:`Tier`), what it stores
(:class:`Storage`) and what it pays for by use (:class:`Usage`), then
:func:`estimate` turns them, with a table of named prices, into machine
counts, memory, storage, network and a monthly bill. Every figure is derived
from the parameters, so changing one of them moves the whole estimate.

The prices in :data:`LIST_PRICES` are assumptions, written down so that the
arithmetic can be checked: approximate on-demand list prices (USD) of one
public cloud's us-east-1 region in 2024. Prices change; pass your own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

SECONDS_PER_DAY = 86_400
#: The billing month of the cloud providers' price pages: 730 hours.
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GB = 1e9  # bytes; capacity and network are billed in decimal gigabytes

#: Assumed prices in USD. Keys name the unit: ``/h`` per instance-hour,
#: ``/GB-month`` per gigabyte stored for a month, ``/GB`` per gigabyte moved,
#: ``/1M tokens`` per million tokens, ``/TB`` per terabyte scanned.
LIST_PRICES: dict[str, float] = {
    # general-purpose compute (vCPU, GiB RAM in the comment)
    "c6i.large /h": 0.085,      # 2 vCPU, 4 GiB (about this course's machine)
    "c6i.2xlarge /h": 0.34,     # 8 vCPU, 16 GiB
    "c6i.4xlarge /h": 0.68,     # 16 vCPU, 32 GiB
    "m6i.2xlarge /h": 0.384,    # 8 vCPU, 32 GiB
    "r6i.2xlarge /h": 0.504,    # 8 vCPU, 64 GiB
    "r6i.4xlarge /h": 1.008,    # 16 vCPU, 128 GiB
    "r6i.8xlarge /h": 2.016,    # 32 vCPU, 256 GiB
    # GPU and managed services
    "g5.xlarge /h": 1.006,      # 1 NVIDIA A10G (24 GB), 4 vCPU, 16 GiB
    "cache.r6g.xlarge /h": 0.411,   # managed Redis, 26 GiB
    "kafka.m5.large /h": 0.21,  # managed Kafka broker
    # storage, network, use
    "S3 /GB-month": 0.023,
    "EBS gp3 /GB-month": 0.08,
    "egress /GB": 0.09,
    "warehouse scan /TB": 5.0,
    "hosted small LLM input /1M tokens": 0.15,
    "hosted small LLM output /1M tokens": 0.60,
}


#: vCPUs of the instance types in :data:`LIST_PRICES` that run our workers.
VCPUS: dict[str, int] = {
    "c6i.large /h": 2, "c6i.2xlarge /h": 8, "c6i.4xlarge /h": 16,
    "m6i.2xlarge /h": 8, "r6i.2xlarge /h": 8, "r6i.4xlarge /h": 16,
    "r6i.8xlarge /h": 32, "g5.xlarge /h": 4,
}
#: On these x86 instance types one vCPU is one hyperthread: two per core.
THREADS_PER_CORE = 2


def physical_cores(machine: str) -> int:
    """Physical cores of an instance type: its vCPUs / :data:`THREADS_PER_CORE`.

    Chapters size one single-threaded worker per *physical* core. A worker
    measured alone on a core runs slower when the core's second hyperthread
    is busy too (the two share the core's execution units), so counting
    vCPUs as cores would overstate capacity; counting physical cores leaves
    the second hyperthreads as unclaimed headroom (the request parsing, the
    network stack), which errs on the safe side.
    """
    if machine not in VCPUS:
        raise KeyError(f"no vCPU count for {machine!r}; known: {sorted(VCPUS)}")
    return max(1, VCPUS[machine] // THREADS_PER_CORE)


def _positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if not (isinstance(value, (int, float)) and math.isfinite(value) and ok):
        need = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {need}, got {value!r}")


@dataclass(frozen=True)
class Traffic:
    """Request load: the average rate and how much higher the busiest hour is.

    ``peak_factor`` is peak QPS over average QPS (2–5 for consumer traffic,
    with a daily cycle). Size machines for the peak, pay usage for the average.
    """

    avg_qps: float
    peak_factor: float = 3.0

    def __post_init__(self) -> None:
        _positive("avg_qps", self.avg_qps)
        if not (isinstance(self.peak_factor, (int, float)) and self.peak_factor >= 1):
            raise ValueError(f"peak_factor is peak QPS / average QPS and must be >= 1, got {self.peak_factor!r}")

    @classmethod
    def from_daily(cls, requests_per_day: float, peak_factor: float = 3.0) -> Traffic:
        """Traffic from a daily request count (``requests_per_day / 86,400`` s)."""
        _positive("requests_per_day", requests_per_day)
        return cls(requests_per_day / SECONDS_PER_DAY, peak_factor)

    @classmethod
    def from_peak(cls, peak_qps: float, peak_factor: float = 3.0) -> Traffic:
        """Traffic from the peak rate a requirement states."""
        _positive("peak_qps", peak_qps)
        return cls(peak_qps / peak_factor, peak_factor)

    @property
    def peak_qps(self) -> float:
        return self.avg_qps * self.peak_factor

    @property
    def requests_per_day(self) -> float:
        return self.avg_qps * SECONDS_PER_DAY

    @property
    def requests_per_month(self) -> float:
        return self.avg_qps * SECONDS_PER_MONTH


@dataclass(frozen=True)
class Tier:
    """A fleet of identical instances, sized by load, by memory, or both.

    By load: ``peak_qps * calls_per_request / (qps_per_instance *
    utilisation)`` instances, where ``qps_per_instance`` is what one instance
    sustains within the latency objective and ``utilisation`` < 1 leaves
    headroom. By memory: ``ceil(memory_gb / memory_gb_per_instance)`` shards
    times ``replicas``. The fleet is the larger of the two, and never fewer
    than ``min_instances`` (one machine is a single point of failure).
    ``hours_per_month`` bills a fleet that runs only part of the month (a
    standby fleet during deploys, a nightly batch job).
    """

    name: str
    machine: str
    qps_per_instance: float = 0.0
    calls_per_request: float = 1.0
    utilisation: float = 0.6
    memory_gb: float = 0.0
    memory_gb_per_instance: float = 0.0
    replicas: int = 1
    min_instances: int = 2
    hours_per_month: float = HOURS_PER_MONTH

    def __post_init__(self) -> None:
        if not 0 < self.hours_per_month <= HOURS_PER_MONTH:
            raise ValueError(f"{self.name}: hours_per_month must be in (0, {HOURS_PER_MONTH}], "
                             f"got {self.hours_per_month!r}")
        _positive(f"{self.name}: qps_per_instance", self.qps_per_instance, allow_zero=True)
        _positive(f"{self.name}: calls_per_request", self.calls_per_request, allow_zero=True)
        _positive(f"{self.name}: memory_gb", self.memory_gb, allow_zero=True)
        if not 0 < self.utilisation <= 1:
            raise ValueError(f"{self.name}: utilisation is the busy fraction at peak, in (0, 1]; "
                             f"got {self.utilisation!r}")
        if self.memory_gb and not self.memory_gb_per_instance > 0:
            raise ValueError(f"{self.name}: memory_gb={self.memory_gb} needs memory_gb_per_instance > 0")
        if self.replicas < 1 or self.min_instances < 0:
            raise ValueError(f"{self.name}: replicas must be >= 1 and min_instances >= 0")
        if not self.qps_per_instance and not self.memory_gb and not self.min_instances:
            raise ValueError(f"{self.name}: size the tier by qps_per_instance, memory_gb or min_instances")

    def instances_for_load(self, peak_qps: float) -> int:
        if not self.qps_per_instance:
            return 0
        return math.ceil(peak_qps * self.calls_per_request / (self.qps_per_instance * self.utilisation) - 1e-9)

    def instances_for_memory(self) -> int:
        if not self.memory_gb:
            return 0
        return math.ceil(self.memory_gb / self.memory_gb_per_instance - 1e-9) * self.replicas

    def instances(self, peak_qps: float) -> int:
        return max(self.min_instances, self.instances_for_load(peak_qps), self.instances_for_memory())


@dataclass(frozen=True)
class Storage:
    """Data at rest: ``gb`` gigabytes kept in ``replicas`` copies, priced per GB-month."""

    name: str
    gb: float
    price: str
    replicas: int = 1

    def __post_init__(self) -> None:
        _positive(f"{self.name}: gb", self.gb, allow_zero=True)
        if self.replicas < 1:
            raise ValueError(f"{self.name}: replicas must be >= 1, got {self.replicas}")


@dataclass(frozen=True)
class Usage:
    """Something paid by use: ``per_request`` units for each request served, plus ``per_month`` units.

    ``units_per_price`` says how many units one price covers (1e6 for a price
    per million tokens, 1 for a price per GB). ``per_request`` may be a
    fraction (0.7 calls per request when a cache answers 30 %); ``per_month``
    covers use that does not follow requests (a nightly analysis's scans).
    """

    name: str
    per_request: float
    unit: str
    price: str
    units_per_price: float = 1.0
    per_month: float = 0.0

    def __post_init__(self) -> None:
        _positive(f"{self.name}: per_request", self.per_request, allow_zero=True)
        _positive(f"{self.name}: per_month", self.per_month, allow_zero=True)
        _positive(f"{self.name}: units_per_price", self.units_per_price)


@dataclass
class Estimate:
    """The result of :func:`estimate`: a cost table and the headline figures."""

    traffic: Traffic
    rows: list[dict] = field(default_factory=list)

    @property
    def monthly_usd(self) -> float:
        return float(sum(r["monthly USD"] for r in self.rows))

    def subtotal(self, kind: str) -> float:
        """Monthly cost of one kind of line: ``"compute"``, ``"storage"`` or ``"usage"``."""
        return float(sum(r["monthly USD"] for r in self.rows if r["kind"] == kind))

    def largest(self, n: int = 2) -> list[tuple[str, float]]:
        """The ``n`` most expensive lines of the bill, as ``(component, monthly USD)``, largest first.

        Prose that names the lines that dominate a bill should take them from
        here, so that it stays true when a parameter or a price changes.
        """
        rows = sorted(self.rows, key=lambda r: r["monthly USD"], reverse=True)
        return [(r["component"], float(r["monthly USD"])) for r in rows[:n]]

    def cost_of(self, name: str) -> float:
        """Monthly cost of the line named ``name``."""
        for r in self.rows:
            if r["component"] == name:
                return float(r["monthly USD"])
        raise KeyError(f"no line named {name!r}; lines: {[r['component'] for r in self.rows]}")

    def instances(self, name: str) -> int:
        for r in self.rows:
            if r["kind"] == "compute" and r["component"] == name:
                return int(r["quantity"])
        raise KeyError(f"no tier named {name!r}; tiers: {[r['component'] for r in self.rows if r['kind'] == 'compute']}")

    def table(self) -> pd.DataFrame:
        """One row per line of the bill, with the total last (for display)."""
        df = pd.DataFrame(self.rows)[["component", "quantity", "unit", "price key", "stated price USD",
                                      "unit price USD", "monthly USD", "sized by"]]
        total = {"component": "total", "quantity": "", "unit": "", "price key": "", "stated price USD": "",
                 "unit price USD": "", "monthly USD": self.monthly_usd, "sized by": ""}
        return pd.concat([df, pd.DataFrame([total])], ignore_index=True)

    def summary(self) -> dict[str, float]:
        """Headline figures: rates, instances, memory, storage and cost."""
        compute = [r for r in self.rows if r["kind"] == "compute"]
        return {
            "average QPS": self.traffic.avg_qps,
            "peak QPS": self.traffic.peak_qps,
            "requests per month": self.traffic.requests_per_month,
            "instances": float(sum(r["quantity"] for r in compute)),
            "memory held, GB": float(sum(r["memory GB"] for r in compute)),
            "storage, GB": float(sum(r["quantity"] for r in self.rows if r["kind"] == "storage")),
            "monthly USD": self.monthly_usd,
        }


def _price(prices: Mapping[str, float], key: str, who: str) -> float:
    if key not in prices:
        raise KeyError(f"{who}: no price named {key!r}; known prices: {sorted(prices)}")
    value = prices[key]
    _positive(f"price {key!r}", value, allow_zero=True)
    return float(value)


def estimate(
    traffic: Traffic,
    tiers: Sequence[Tier] = (),
    storage: Sequence[Storage] = (),
    usage: Sequence[Usage] = (),
    prices: Mapping[str, float] | None = None,
) -> Estimate:
    """Size every tier for the peak and price a month of the design.

    Compute is billed for ``hours_per_month`` hours per instance (by default
    :data:`HOURS_PER_MONTH`: a fleet sized for the peak runs all month unless
    it autoscales); storage per
    GB-month times replicas; usage per unit at the *average* rate.
    """
    prices = LIST_PRICES if prices is None else prices
    out = Estimate(traffic)
    names = [t.name for t in tiers] + [s.name for s in storage] + [u.name for u in usage]
    if len(set(names)) != len(names):
        raise ValueError(f"component names must be unique, got {names}")
    for t in tiers:
        n, by_load, by_mem = t.instances(traffic.peak_qps), t.instances_for_load(traffic.peak_qps), \
            t.instances_for_memory()
        reason = "load" if n == by_load and by_load >= by_mem else "memory" if n == by_mem else "redundancy"
        hourly = _price(prices, t.machine, t.name)
        out.rows.append({"kind": "compute", "component": t.name, "quantity": n, "unit": "instances",
                         "price key": t.machine, "unit price USD": hourly, "stated price USD": hourly,
                         "monthly USD": n * hourly * t.hours_per_month, "sized by": reason,
                         "memory GB": t.memory_gb * t.replicas})
    for s in storage:
        per_gb = _price(prices, s.price, s.name)
        gb = s.gb * s.replicas
        out.rows.append({"kind": "storage", "component": s.name, "quantity": gb, "unit": "GB",
                         "price key": s.price, "unit price USD": per_gb, "stated price USD": per_gb,
                         "monthly USD": gb * per_gb,
                         "sized by": f"{s.replicas} copies" if s.replicas > 1 else "data", "memory GB": 0.0})
    for u in usage:
        each = _price(prices, u.price, u.name)
        units = u.per_request * traffic.requests_per_month + u.per_month
        out.rows.append({"kind": "usage", "component": u.name, "quantity": units, "unit": u.unit,
                         "price key": u.price, "unit price USD": each / u.units_per_price,
                         "stated price USD": each,
                         "monthly USD": units / u.units_per_price * each, "sized by": "average load",
                         "memory GB": 0.0})
    return out


def bandwidth_gbps(qps: float, bytes_per_request: float) -> float:
    """Network rate in gigabits per second for ``qps`` requests of ``bytes_per_request`` bytes."""
    _positive("qps", qps, allow_zero=True)
    _positive("bytes_per_request", bytes_per_request, allow_zero=True)
    return qps * bytes_per_request * 8 / GB


def gigabytes(count: float, bytes_each: float) -> float:
    """``count`` items of ``bytes_each`` bytes, in GB (decimal)."""
    _positive("count", count, allow_zero=True)
    _positive("bytes_each", bytes_each, allow_zero=True)
    return count * bytes_each / GB


#: Table look for the page: room between columns, left-aligned text.
TABLE_STYLES = [
    {"selector": "", "props": [("font-size", "0.9em")]},
    {"selector": "th, td", "props": [("padding", "0.25em 0.7em"), ("text-align", "left")]},
    {"selector": "td.money, td.number", "props": [("text-align", "right")]},
]


def human(x: float) -> str:
    """A count for a reader: ``1,234``, ``3.2 million``, ``410 billion``; small values to 3 digits."""
    if abs(x) >= 1e9:
        return f"{x / 1e9:,.3g} billion"
    if abs(x) >= 1e7:
        return f"{x / 1e6:,.3g} million"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.3g}"


def money(x: float) -> str:
    """Dollars: whole dollars from 100 up, otherwise three significant digits."""
    return f"${x:,.0f}" if abs(x) >= 100 else f"${x:,.3g}"


def format_table(df: pd.DataFrame) -> pd.io.formats.style.Styler:
    """An :meth:`Estimate.table` styled for the page: one readable line per bill item."""
    rows = []
    for r in df.to_dict("records"):
        is_total = r["component"] == "total"
        rows.append({
            "component": r["component"],
            "quantity": "" if is_total else f"{human(r['quantity'])} {r['unit']}",
            "price": "" if is_total else f"{money(r['stated price USD'])} {r['price key']}",
            "USD / month": money(r["monthly USD"]),
            "sized by": r["sized by"],
        })
    out = pd.DataFrame(rows)
    return (out.style.hide(axis="index").set_table_styles(TABLE_STYLES)
            .set_td_classes(pd.DataFrame({c: ["money" if c == "USD / month" else ""] * len(out)
                                          for c in out.columns}))
            .apply(lambda row: ["font-weight: bold" if row["component"] == "total" else ""] * len(row), axis=1))


def format_requirements(rows: list[tuple[str, str]]) -> pd.io.formats.style.Styler:
    """The requirements as a two-column table: kind (functional or non-functional) and requirement."""
    df = pd.DataFrame(rows, columns=["kind", "requirement"])
    return df.style.hide(axis="index").set_table_styles(TABLE_STYLES)


def format_figures(figures: Mapping[str, float]) -> pd.io.formats.style.Styler:
    """Named estimate figures as a two-column table, numbers right-aligned for a reader."""
    df = pd.DataFrame({"figure": list(figures), "value": [human(float(v)) for v in figures.values()]})
    classes = pd.DataFrame({"figure": [""] * len(df), "value": ["number"] * len(df)})
    return df.style.hide(axis="index").set_table_styles(TABLE_STYLES).set_td_classes(classes)
