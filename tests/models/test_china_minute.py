"""Stored timestamps (UTC) as the console shows them: the China (UTC+8) date and minute."""

import datetime as dt

from techmatch.models.programme import china_minute


def test_utc_text_reads_as_the_next_china_morning() -> None:
    assert china_minute("2026-11-30T19:33:05.123456+00:00") == "2026-12-01 03:33"
    assert china_minute("2026-11-30T19:33:05Z") == "2026-12-01 03:33"


def test_a_timestamp_without_a_zone_is_utc() -> None:
    assert china_minute(dt.datetime(2026, 12, 31, 16, 0)) == "2027-01-01 00:00"
    assert china_minute("2026-12-31T15:59:59") == "2026-12-31 23:59"


def test_an_aware_timestamp_keeps_its_instant() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert china_minute(dt.datetime(2026, 12, 1, 9, 5, tzinfo=beijing)) == "2026-12-01 09:05"


def test_nothing_or_no_timestamp_shows_empty() -> None:
    assert china_minute(None) == "" and china_minute("待定") == ""
