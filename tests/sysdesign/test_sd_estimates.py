"""The back-of-envelope sheet: sizing rules, prices, and that one parameter moves the estimate."""

import math

import pytest

from aimastery.sysdesign.estimates import (
    HOURS_PER_MONTH, LIST_PRICES, VCPUS, Storage, Tier, Traffic, Usage, bandwidth_gbps, estimate, format_figures,
    format_requirements, format_table, gigabytes, human, money,
    physical_cores,
)


def test_traffic_conversions():
    t = Traffic.from_daily(86_400_000, peak_factor=3)
    assert t.avg_qps == pytest.approx(1000)
    assert t.peak_qps == pytest.approx(3000)
    assert t.requests_per_month == pytest.approx(1000 * HOURS_PER_MONTH * 3600)
    assert Traffic.from_peak(1000, 4).avg_qps == pytest.approx(250)


@pytest.mark.parametrize("kwargs", [{"avg_qps": 0}, {"avg_qps": -1}, {"avg_qps": 10, "peak_factor": 0.5},
                                    {"avg_qps": float("nan")}])
def test_traffic_rejects_bad_values(kwargs):
    with pytest.raises(ValueError, match="avg_qps|peak_factor"):
        Traffic(**kwargs)


def test_tier_sized_by_load_memory_and_redundancy():
    load = Tier("api", "c6i.large /h", qps_per_instance=100, utilisation=0.5)
    assert load.instances(1000) == 20  # 1000 / (100 * 0.5)
    mem = Tier("index", "r6i.2xlarge /h", memory_gb=200, memory_gb_per_instance=48, replicas=2)
    assert mem.instances(1) == 2 * math.ceil(200 / 48)
    tiny = Tier("api", "c6i.large /h", qps_per_instance=1e6)
    assert tiny.instances(1) == 2  # never a single point of failure
    exact = Tier("api", "c6i.large /h", qps_per_instance=10, utilisation=1.0, min_instances=1)
    assert exact.instances(30) == 3  # no float round-up to 4


def test_part_time_fleet_is_billed_for_its_hours():
    e = estimate(Traffic(10), tiers=[Tier("standby", "c6i.large /h", min_instances=4, hours_per_month=10)])
    assert e.monthly_usd == pytest.approx(4 * 0.085 * 10)
    with pytest.raises(ValueError, match="hours_per_month"):
        Tier("x", "c6i.large /h", min_instances=1, hours_per_month=800)


def test_tier_validates():
    with pytest.raises(ValueError, match="utilisation"):
        Tier("a", "c6i.large /h", qps_per_instance=1, utilisation=1.5)
    with pytest.raises(ValueError, match="memory_gb_per_instance"):
        Tier("a", "c6i.large /h", memory_gb=10)
    with pytest.raises(ValueError, match="size the tier"):
        Tier("a", "c6i.large /h", min_instances=0)


def sheet(peak_factor=3.0, price=None):
    prices = dict(LIST_PRICES, **(price or {}))
    return estimate(
        Traffic(1000, peak_factor),
        tiers=[Tier("api", "c6i.large /h", qps_per_instance=500, utilisation=0.5)],
        storage=[Storage("logs", 100, "S3 /GB-month", replicas=3)],
        usage=[Usage("egress", 1e-5, "GB", "egress /GB")],
        prices=prices,
    )


def test_estimate_prices_every_line():
    e = sheet()
    assert e.instances("api") == 12  # 3000 peak / (500 * 0.5)
    assert e.subtotal("compute") == pytest.approx(12 * 0.085 * HOURS_PER_MONTH)
    assert e.subtotal("storage") == pytest.approx(300 * 0.023)
    assert e.subtotal("usage") == pytest.approx(1000 * HOURS_PER_MONTH * 3600 * 1e-5 * 0.09)
    assert e.monthly_usd == pytest.approx(e.subtotal("compute") + e.subtotal("storage") + e.subtotal("usage"))
    table = e.table()
    assert list(table.component) == ["api", "logs", "egress", "total"]
    assert table["monthly USD"].iloc[-1] == pytest.approx(e.monthly_usd)
    assert "total" in format_table(table).to_html()
    assert e.summary()["instances"] == 12


def test_one_parameter_moves_the_estimate():
    base = sheet()
    assert sheet(peak_factor=6).instances("api") == 2 * base.instances("api")
    dearer = sheet(price={"c6i.large /h": 0.17})
    assert dearer.subtotal("compute") == pytest.approx(2 * base.subtotal("compute"))
    assert dearer.subtotal("storage") == pytest.approx(base.subtotal("storage"))


def test_unknown_price_and_duplicate_names_are_clear():
    with pytest.raises(KeyError, match="no price named 'gpu /h'"):
        estimate(Traffic(1), tiers=[Tier("x", "gpu /h", qps_per_instance=1)])
    with pytest.raises(ValueError, match="unique"):
        estimate(Traffic(1), tiers=[Tier("x", "c6i.large /h", qps_per_instance=1)],
                 storage=[Storage("x", 1, "S3 /GB-month")])


def test_usage_per_month():
    e = estimate(Traffic(1), usage=[Usage("scans", 0, "TB", "warehouse scan /TB", per_month=10)])
    assert e.monthly_usd == pytest.approx(50.0)


def test_units():
    assert bandwidth_gbps(1000, 125_000) == pytest.approx(1.0)
    assert gigabytes(1e6, 1536) == pytest.approx(1.536)
    with pytest.raises(ValueError):
        gigabytes(-1, 3)


def test_display_helpers():
    assert human(409_396_410_000) == "409 billion" and human(8e7) == "80 million"
    assert human(2190.4) == "2,190" and human(18.43) == "18.4" and human(0.2634) == "0.263"
    assert money(105_414.2) == "$105,414" and money(0.368) == "$0.368"
    html = format_requirements([("functional", "answer questions")]).to_html()
    assert "answer questions" in html and "kind" in html
    assert "1,736" in format_figures({"requests / s": 1736.1}).to_html()


def test_physical_cores_are_half_the_vcpus():
    assert physical_cores("c6i.large /h") == 1
    assert physical_cores("c6i.4xlarge /h") == 8
    assert set(VCPUS) <= set(LIST_PRICES)
    with pytest.raises(KeyError, match="no vCPU count"):
        physical_cores("kafka.m5.large /h")


def test_largest_lines_and_cost_of():
    sheet = estimate(
        Traffic(100.0),
        tiers=[Tier("api", "c6i.large /h", qps_per_instance=10.0)],
        storage=[Storage("logs", 10.0, "S3 /GB-month")],
    )
    (first, usd), = sheet.largest(1)
    assert first == "api" and usd == sheet.cost_of("api")
    assert [name for name, _ in sheet.largest(5)] == ["api", "logs"]
    with pytest.raises(KeyError, match="no line named"):
        sheet.cost_of("gpu")
