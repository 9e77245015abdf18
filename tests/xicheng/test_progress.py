"""The progress arithmetic of DESIGN.md, pinned with exact numbers. H2 2026 has 184 days; as of
30 September 92 of them are gone: exactly half."""

from __future__ import annotations

from datetime import date

from xicheng.progress import Light, progress, time_elapsed

H2 = {"start": date(2026, 7, 1), "end": date(2026, 12, 31)}
HALF_WAY = date(2026, 9, 30)


def test_time_elapsed_counts_whole_days_and_clamps() -> None:
    assert time_elapsed(date(2026, 7, 1), date(2026, 12, 31), date(2026, 6, 1)) == 0
    assert time_elapsed(date(2026, 7, 1), date(2026, 12, 31), HALF_WAY) == 0.5
    assert time_elapsed(date(2026, 7, 1), date(2026, 12, 31), date(2027, 3, 1)) == 1


def test_before_the_period_nothing_is_expected_and_the_light_is_green() -> None:
    p = progress(actual=0, target=1000, as_of=date(2026, 6, 15), **H2)
    assert (p.expected, p.percent, p.gap, p.light) == (0, 0, 0, Light.GREEN)


def test_mid_period_on_pace_is_green() -> None:
    p = progress(actual=500, target=1000, as_of=HALF_WAY, **H2)
    assert (p.expected, p.percent, p.gap, p.light) == (500, 50, 0, Light.GREEN)


def test_ahead_of_pace_is_green() -> None:
    p = progress(actual=700, target=1000, as_of=HALF_WAY, **H2)
    assert (p.percent, p.gap, p.light) == (70, 20, Light.GREEN)


def test_behind_by_5_points_is_yellow() -> None:
    p = progress(actual=450, target=1000, as_of=HALF_WAY, **H2)
    assert (p.expected, p.percent, p.gap, p.light) == (500, 45, -5, Light.YELLOW)


def test_behind_by_15_points_is_red() -> None:
    p = progress(actual=350, target=1000, as_of=HALF_WAY, **H2)
    assert (p.percent, p.gap, p.light) == (35, -15, Light.RED)


def test_behind_by_exactly_the_threshold_is_red() -> None:
    assert progress(actual=400, target=1000, as_of=HALF_WAY, **H2).light == Light.RED


def test_reaching_the_target_is_done_even_early() -> None:
    p = progress(actual=1000, target=1000, as_of=HALF_WAY, **H2)
    assert (p.percent, p.light) == (100, Light.DONE)
    assert progress(actual=1200, target=1000, as_of=HALF_WAY, **H2).percent == 120


def test_a_zero_target_is_done() -> None:
    p = progress(actual=0, target=0, as_of=HALF_WAY, **H2)
    assert (p.percent, p.expected, p.light) == (100, 0, Light.DONE)


def test_lower_is_better_inverts_the_comparison() -> None:
    # A ceiling of 100 incidents over the half-year: 40 by half-way is under the pace of 50.
    under = progress(actual=40, target=100, as_of=HALF_WAY, lower_is_better=True, **H2)
    assert (under.percent, under.gap, under.light) == (40, 10, Light.GREEN)
    slightly_over_pace = progress(actual=55, target=100, as_of=HALF_WAY, lower_is_better=True, **H2)
    assert (slightly_over_pace.gap, slightly_over_pace.light) == (-5, Light.YELLOW)
    far_over_pace = progress(actual=65, target=100, as_of=HALF_WAY, lower_is_better=True, **H2)
    assert (far_over_pace.gap, far_over_pace.light) == (-15, Light.RED)


def test_lower_is_better_over_the_ceiling_is_red_and_under_it_at_the_end_is_done() -> None:
    assert progress(actual=101, target=100, as_of=HALF_WAY, lower_is_better=True, **H2).light == Light.RED
    assert progress(actual=90, target=100, as_of=date(2026, 12, 31), lower_is_better=True, **H2).light == Light.DONE
    assert progress(actual=0, target=0, as_of=HALF_WAY, lower_is_better=True, **H2).light == Light.GREEN
    assert progress(actual=1, target=0, as_of=HALF_WAY, lower_is_better=True, **H2).light == Light.RED


def test_as_of_a_past_date_uses_that_dates_pace() -> None:
    # 300 done as of 31 July: 31 of 184 days gone, so 168.48 expected; well ahead.
    p = progress(actual=300, target=1000, as_of=date(2026, 7, 31), **H2)
    assert (p.expected, p.percent, p.gap, p.light) == (168.48, 30, 13.2, Light.GREEN)


def test_the_yellow_threshold_comes_from_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PROGRESS_YELLOW_GAP = 20
    assert progress(actual=350, target=1000, as_of=HALF_WAY, **H2).light == Light.YELLOW
