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


PRICES = """
[prices."mock-*"]
input = 100
output = 1000
"""


@pytest.mark.parametrize("limit", [{"monthly_usd": 0.05}, {"monthly_tokens": 150}])
def test_fifty_requests_over_two_instances_never_spend_past_a_budget_or_a_token_quota(cluster, limit):
    """Each request reserves its worst case in PostgreSQL before it is sent and settles it after:
    whatever the interleaving, what the two instances charge together stays within the limit."""
    from harness import eventually

    a, b = cluster("a", tiers=PRICES), cluster("b", tiers=PRICES)
    key, key_id = a.create_key(**limit)
    body = {"model": "mock-small", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}

    def send(index: int) -> int:
        status, answer = (a if index % 2 else b).call("POST", "/v1/chat/completions", body, key)
        if status == 402:
            assert answer["error"]["code"] == ("budget_exceeded" if "monthly_usd" in limit else "insufficient_quota"), answer
        else:
            assert status == 200 and answer["choices"][0]["message"]["content"].startswith("tok0"), answer
        return status

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(send, range(50)))
    assert set(statuses) == {200, 402}, statuses
    admitted = statuses.count(200)

    def settled():
        status, usage = a.call("GET", f"/admin/usage?key={key_id}", admin=True)
        assert status == 200
        totals = usage["totals"]
        return totals if totals["requests"] == admitted else None

    totals, _ = eventually(settled)
    assert totals, "the records of every admitted request did not arrive"
    # What the quota was charged, as the store holds it for both instances.
    status, quota = b.call("GET", "/auth/quota", token=key)
    assert status == 200, quota
    if "monthly_usd" in limit:
        assert 0 < totals["cost_microdollars"] <= 50_000, totals
        assert 0 < quota["used"]["usd"] <= 0.05 and quota["remaining"]["usd"] >= 0, quota
    else:
        assert 0 < quota["used"]["tokens"] <= 150 and quota["remaining"]["tokens"] >= 0, quota
