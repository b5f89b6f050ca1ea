"""A quota race within one instance admits exactly N, on both stores."""

import concurrent.futures

import pytest

from conftest import config, launch


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_quota_race_within_one_instance_admits_exactly_n(store, postgres, tmp_path):
    url = postgres.url if store == "postgres" else f"sqlite:{tmp_path}/state.sqlite"
    instance = launch(tmp_path, "one", config(url))
    try:
        key, _ = instance.create_key(monthly_requests=7)
        with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(lambda _: instance.complete(key), range(40)))
        assert sorted(statuses) == [200] * 7 + [402] * 33, statuses
    finally:
        assert instance.stop() == 0
